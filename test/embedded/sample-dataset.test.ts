import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INJECTION_TICKET_IDS, SAMPLE_SIZES, generateSampleDataset } from '../../src/embedded/sample/sample-dataset.js';
import { sampleSql } from '../../src/embedded/sample/sample-sql.js';
import { readManifest } from '../../src/embedded/asset.js';

const dataset = generateSampleDataset();

test('the dataset is the same on every run, and another seed gives other rows', () => {
  assert.deepEqual(generateSampleDataset(), dataset);
  assert.equal(sampleSql(), sampleSql(generateSampleDataset()));
  assert.notDeepEqual(generateSampleDataset(1).customers, dataset.customers);
});

test('the dataset has the advertised sizes', () => {
  assert.equal(dataset.customers.length, SAMPLE_SIZES.customers);
  assert.equal(dataset.products.length, 50);
  assert.equal(dataset.orders.length, SAMPLE_SIZES.orders);
  assert.equal(dataset.support_tickets.length, SAMPLE_SIZES.supportTickets);
  assert.ok(dataset.order_items.length >= 2 * SAMPLE_SIZES.orders && dataset.order_items.length <= 3 * SAMPLE_SIZES.orders);
});

test('the shipped asset was built from this dataset (rebuild it after changing the generator)', () => {
  const counts = Object.fromEntries(Object.entries(dataset).map(([table, rows]) => [table, rows.length]));
  assert.deepEqual(readManifest().rows, counts);
});

test('rows are consistent: unique e-mails, valid references, totals that add up, orders after sign-up', () => {
  assert.equal(new Set(dataset.customers.map((c) => c.email)).size, dataset.customers.length);
  const customers = new Map(dataset.customers.map((c) => [c.id, c]));
  const products = new Map(dataset.products.map((p) => [p.id, p]));
  const totals = new Map<number, number>();
  const pairs = new Set<string>();
  for (const item of dataset.order_items) {
    assert.ok(products.has(item.product_id));
    assert.equal(item.price_cents, products.get(item.product_id)!.price_cents);
    assert.ok(!pairs.has(`${item.order_id}/${item.product_id}`), 'one line per product and order');
    pairs.add(`${item.order_id}/${item.product_id}`);
    totals.set(item.order_id, (totals.get(item.order_id) ?? 0) + item.quantity * item.price_cents);
  }
  for (const order of dataset.orders) {
    const customer = customers.get(order.customer_id);
    assert.ok(customer, `order ${order.id} has a customer`);
    assert.equal(order.total_cents, totals.get(order.id));
    assert.ok(order.created_at >= customer.created_at, `order ${order.id} after sign-up`);
  }
  for (const ticket of dataset.support_tickets) assert.ok(customers.has(ticket.customer_id));
});

test('sensitive values are fictional: SSNs in the never-issued 9xx area, e-mails on reserved domains', () => {
  for (const { ssn, email } of dataset.customers) {
    if (ssn !== null) assert.match(ssn, /^9\d\d-\d\d-\d{4}$/);
    assert.match(email, /@(example\.(com|org|net)|mail\.test)$/);
  }
});

test('exactly the designated tickets carry a prompt injection', () => {
  const injected = dataset.support_tickets.filter((t) => /ignore previous instructions/i.test(t.body)).map((t) => t.id);
  assert.deepEqual(injected, [...INJECTION_TICKET_IDS]);
});

test('the SQL quotes text safely', () => {
  const sql = sampleSql({ ...dataset, customers: [{ ...dataset.customers[0]!, name: "O'Brien" }] });
  assert.ok(sql.includes("'O''Brien'"));
});
