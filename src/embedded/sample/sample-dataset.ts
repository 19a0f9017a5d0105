/**
 * The sample dataset, generated from a fixed seed: the same rows on every build. Pure: no I/O.
 * Sizes are set by `SAMPLE_SIZES`; the generator keeps the data consistent (order totals are the
 * sum of their items, orders come after their customer signed up, …).
 */
import { seededRandom, type SeededRandom } from './seeded-random.js';
import {
  COUNTRIES,
  EMAIL_DOMAINS,
  FIRST_NAMES,
  INJECTION_TICKETS,
  LAST_NAMES,
  ORDER_STATUSES,
  PRODUCTS,
  TICKET_TEMPLATES,
} from './sample-words.js';

export const SAMPLE_SEED = 20240601;

export const SAMPLE_SIZES = { customers: 200, orders: 1000, supportTickets: 100 } as const;

/** Ids of the support tickets whose body is a prompt injection (see `INJECTION_TICKETS`). */
export const INJECTION_TICKET_IDS = [17, 64] as const;

const START = Date.parse('2024-01-01T00:00:00Z');
const END = Date.parse('2025-06-30T00:00:00Z');
const DAY = 86_400_000;

export interface CustomerRow {
  id: number;
  name: string;
  email: string;
  phone: string | null;
  ssn: string | null;
  country: string;
  created_at: string;
}
export interface ProductRow {
  id: number;
  name: string;
  price_cents: number;
  stock: number;
}
export interface OrderRow {
  id: number;
  customer_id: number;
  status: string;
  total_cents: number;
  created_at: string;
}
export interface OrderItemRow {
  order_id: number;
  product_id: number;
  quantity: number;
  price_cents: number;
}
export interface SupportTicketRow {
  id: number;
  customer_id: number;
  subject: string;
  body: string;
  created_at: string;
}

export interface SampleDataset {
  customers: CustomerRow[];
  products: ProductRow[];
  orders: OrderRow[];
  order_items: OrderItemRow[];
  support_tickets: SupportTicketRow[];
}

export function generateSampleDataset(seed = SAMPLE_SEED): SampleDataset {
  const random = seededRandom(seed);
  const customers = generateCustomers(random);
  const products = PRODUCTS.map(([name, price_cents], index) => ({
    id: index + 1,
    name,
    price_cents,
    stock: random.int(0, 250),
  }));
  const { orders, order_items } = generateOrders(random, customers, products);
  const support_tickets = generateTickets(random, orders, products);
  return { customers, products, orders, order_items, support_tickets };
}

function generateCustomers(random: SeededRandom): CustomerRow[] {
  const customers: CustomerRow[] = [];
  const emails = new Set<string>();
  const countries = COUNTRIES.map((entry) => [entry, entry[1]] as const);
  for (let id = 1; id <= SAMPLE_SIZES.customers; id++) {
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const [country, , phone] = random.weighted(countries);
    const local = `${first}.${last}`.toLowerCase();
    let email = `${local}@${random.pick(EMAIL_DOMAINS)}`;
    for (let n = 2; emails.has(email); n++) email = `${local}${n}@${random.pick(EMAIL_DOMAINS)}`;
    emails.add(email);
    customers.push({
      id,
      name: `${first} ${last}`,
      email,
      phone: random.chance(0.88) ? phone(id) : null,
      // Area numbers 900-999 are never issued as US social security numbers.
      ssn: random.chance(0.9)
        ? `9${random.int(0, 99).toString().padStart(2, '0')}-${random.int(10, 99)}-${random.int(1000, 9999)}`
        : null,
      country,
      created_at: timestamp(START + random.int(0, 300) * DAY + random.int(0, DAY - 1)),
    });
  }
  return customers;
}

function generateOrders(
  random: SeededRandom,
  customers: readonly CustomerRow[],
  products: readonly ProductRow[],
): Pick<SampleDataset, 'orders' | 'order_items'> {
  const orders: OrderRow[] = [];
  const order_items: OrderItemRow[] = [];
  // A quarter of the customers place most of the orders, as in any shop.
  const regulars = customers.slice(0, Math.floor(customers.length / 4));
  for (let id = 1; id <= SAMPLE_SIZES.orders; id++) {
    const customer = random.chance(0.5) ? random.pick(regulars) : random.pick(customers);
    const signedUp = Date.parse(customer.created_at);
    const itemCount = random.weighted([[1, 2], [2, 3], [3, 3], [4, 2]] as const);
    const chosen = new Set<ProductRow>();
    while (chosen.size < itemCount) chosen.add(random.pick(products));
    let total = 0;
    for (const product of chosen) {
      const quantity = random.weighted([[1, 7], [2, 2], [3, 1]] as const);
      total += quantity * product.price_cents;
      order_items.push({ order_id: id, product_id: product.id, quantity, price_cents: product.price_cents });
    }
    orders.push({
      id,
      customer_id: customer.id,
      status: random.weighted(ORDER_STATUSES),
      total_cents: total,
      created_at: timestamp(signedUp + random.next() * (END - signedUp)),
    });
  }
  return { orders, order_items };
}

function generateTickets(
  random: SeededRandom,
  orders: readonly OrderRow[],
  products: readonly ProductRow[],
): SupportTicketRow[] {
  const tickets: SupportTicketRow[] = [];
  for (let id = 1; id <= SAMPLE_SIZES.supportTickets; id++) {
    const order = random.pick(orders);
    const injection = INJECTION_TICKET_IDS.indexOf(id as (typeof INJECTION_TICKET_IDS)[number]);
    const [subject, body] = injection >= 0 ? INJECTION_TICKETS[injection]! : random.pick(TICKET_TEMPLATES);
    const fill = (text: string): string =>
      text.replaceAll('{order}', String(order.id)).replaceAll('{product}', random.pick(products).name);
    const placed = Date.parse(order.created_at);
    tickets.push({
      id,
      customer_id: order.customer_id,
      subject: fill(subject),
      body: fill(body),
      created_at: timestamp(placed + random.int(1, 20) * DAY + random.int(0, DAY - 1)),
    });
  }
  return tickets;
}

function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
