/**
 * The sample database's schema: a small shop (customers, products, orders, order items, support
 * tickets). Column comments name the tags the sample policy puts on them, so someone browsing the
 * database with `\d+` sees why a column is masked.
 *
 * Two non-superuser roles exist for the proxy: PGlite ignores the user in the startup message, so
 * every connection is the superuser `postgres`; a door that wants the database itself to enforce
 * least privilege switches to one of these with `SET SESSION AUTHORIZATION` at session start.
 */
export const SAMPLE_SCHEMA_SQL = `
create table customers (
  id serial primary key,
  name text not null,
  email text not null unique,
  phone text,
  ssn text,
  country text,
  created_at timestamptz not null default now()
);
comment on table customers is 'people who bought something; email and phone are pii, ssn is secret';
comment on column customers.email is 'tags: pii';
comment on column customers.phone is 'tags: pii';
comment on column customers.ssn is 'tags: secret (national id number, fictional in the sample data)';

create table products (
  id serial primary key,
  name text not null unique,
  price_cents int not null check (price_cents > 0),
  stock int not null default 0 check (stock >= 0)
);

create table orders (
  id serial primary key,
  customer_id int not null references customers (id),
  status text not null check (status in ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
  total_cents int not null check (total_cents >= 0),
  created_at timestamptz not null default now()
);
comment on column orders.total_cents is 'tags: financial';
create index orders_customer_id_idx on orders (customer_id);
create index orders_created_at_idx on orders (created_at);

create table order_items (
  order_id int not null references orders (id) on delete cascade,
  product_id int not null references products (id),
  quantity int not null check (quantity > 0),
  price_cents int not null check (price_cents > 0),
  primary key (order_id, product_id)
);
create index order_items_product_id_idx on order_items (product_id);

create view customer_emails as select id, name, email from customers;

create table support_tickets (
  id serial primary key,
  customer_id int references customers (id),
  subject text not null,
  body text not null,
  created_at timestamptz not null default now()
);
comment on column support_tickets.body is 'free text written by customers: treat as untrusted input';
create index support_tickets_customer_id_idx on support_tickets (customer_id);

create role parapet_app nologin nosuperuser nocreatedb nocreaterole noinherit;
grant usage on schema public to parapet_app;
grant select, insert, update, delete on all tables in schema public to parapet_app;
grant usage, select on all sequences in schema public to parapet_app;

create role parapet_readonly nologin nosuperuser nocreatedb nocreaterole noinherit;
grant usage on schema public to parapet_readonly;
grant select on all tables in schema public to parapet_readonly;
`;

/** Non-superuser roles in the sample database (see the module comment). */
export const SAMPLE_ROLES = { readWrite: 'parapet_app', readOnly: 'parapet_readonly' } as const;

/** Tables whose `id` is a serial; their sequences are moved past the inserted ids. */
export const SERIAL_TABLES = ['customers', 'products', 'orders', 'support_tickets'] as const;
