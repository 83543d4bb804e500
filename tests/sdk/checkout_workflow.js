// The seed's whole checkout workflow through the official, unchanged @elasticpath/js-sdk.
// Usage: EP_HOST=127.0.0.1:8080 CLIENT_ID=... CLIENT_SECRET=... PAYMENT_GATEWAY=manual node checkout_workflow.js
// Prints one JSON line per step (the order's status, payment, shipping and the product's stock after
// it) and exits non-zero on the first expectation that does not hold.
'use strict'
const assert = require('node:assert/strict')
const { gateway, MemoryStorageFactory } = require('@elasticpath/js-sdk')
const { eventually, orFailure } = require('./waiting')

const host = process.env.EP_HOST || '127.0.0.1:8080'
const paymentGateway = process.env.PAYMENT_GATEWAY || 'manual'
const common = { host, protocol: 'http', storage: new MemoryStorageFactory(), client_id: process.env.CLIENT_ID }
const admin = gateway({ ...common, client_secret: process.env.CLIENT_SECRET, storage: new MemoryStorageFactory() })
const shopper = gateway({ ...common, storage: new MemoryStorageFactory() })

async function state(orderId, productId) {
  const order = orderId ? (await admin.Orders.Get(orderId)).data : null
  const stock = (await admin.Inventories.Get(productId)).data
  return {
    order: order && { status: order.status, payment: order.payment, shipping: order.shipping },
    stock: { total: stock.total, allocated: stock.allocated, available: stock.available },
  }
}

function report(step, snapshot) {
  console.log(JSON.stringify({ step, ...snapshot }))
}

async function main() {
  const sku = `sdk-${Date.now()}`
  const product = (await admin.Products.Create({
    name: 'Deck Shoe', slug: sku, sku, description: 'A shoe', manage_stock: true, status: 'live',
    commodity_type: 'physical', price: [{ amount: 5000, currency: 'USD', includes_tax: false }],
  })).data
  await admin.Inventories.Create(product.id, 10)
  const promotion = (await admin.Promotions.Create({
    name: 'Ten off', description: 'SDK test', enabled: true, automatic: false, promotion_type: 'fixed_discount',
    schema: { currencies: [{ currency: 'USD', amount: 1000 }] },
    start: '2020-01-01T00:00:00Z', end: '2099-01-01T00:00:00Z',
  })).data
  const code = `TEN${Date.now()}`
  await admin.Promotions.AddCodes(promotion.id, [{ code }])
  // Elastic Path: "a gateway must be enabled first" (the SDK's own call); its key is never answered.
  const enabled = (await admin.Gateways.Enabled(paymentGateway, true)).data
  assert.deepEqual([enabled.type, enabled.slug, enabled.enabled, 'login' in enabled], ['gateway', paymentGateway, true, false])
  const listed = (await admin.Gateways.All()).data
  assert.ok(listed.some((g) => g.slug === paymentGateway && g.enabled), JSON.stringify(listed))
  let s = await eventually(() => state(null, product.id), (x) => x.stock.total === 10, 'stock created')
  report('1. admin enabled the gateway, created a stock-managed product with stock 10, and a promotion code', s)

  const cart = shopper.Cart()
  await eventually(orFailure(() => cart.AddProduct(product.id, 3)), (r) => r && r.data,
    'product added (availability reached the cart)')
  await cart.AddCustomItem({ type: 'custom_item', name: 'Shipping', sku: 'ship-std', quantity: 1,
    price: { amount: 500, includes_tax: true } })
  const withCode = await cart.AddPromotion(code)
  assert.equal(withCode.meta.display_price.discount.amount, -1000)
  report('2. shopper added 3 shoes, a custom shipping item and the code', { cart: withCode.meta.display_price.with_tax })

  const address = { first_name: 'Ron', last_name: 'Swanson', line_1: '1 Sun St', city: 'Pawnee', postcode: '46001',
    county: 'Wamapoke', country: 'US' }
  const order = (await cart.Checkout({ name: 'Ron Swanson', email: 'ron@example.com' }, address)).data
  assert.deepEqual([order.status, order.payment, order.shipping], ['incomplete', 'unpaid', 'unfulfilled'])
  assert.equal(order.meta.display_price.with_tax.amount, 15000 + 500 - 1000)
  // The order and payment services consume the checkout after it answered; each read waits only a
  // few seconds for an order it has not seen, so wait for both here instead of racing them.
  s = await eventually(orFailure(() => state(order.id, product.id)), (x) => x && x.order, 'order consumed')
  await eventually(orFailure(() => admin.Transactions.All({ order: order.id })), (r) => r && r.data,
    'order consumed by payments')
  assert.deepEqual(s.stock, { total: 10, allocated: 0, available: 10 }) // checkout allocates nothing
  report('3. checked out as a guest: incomplete, unpaid, unfulfilled; stock untouched', s)

  const body = paymentGateway === 'manual'
    ? { gateway: 'manual', method: 'authorize' }
    : { gateway: 'stripe_payment_intents', method: 'authorize', payment: process.env.STRIPE_PAYMENT_METHOD || 'pm_card_visa' }
  const payment = (await shopper.Orders.Payment(order.id, body)).data
  s = await eventually(() => state(order.id, product.id), (x) => x.order.status === 'processing', 'order processing')
  assert.equal(s.order.payment, 'authorized')
  assert.deepEqual(s.stock, { total: 10, allocated: 3, available: 7 }) // allocated at payment
  report(`4. shopper paid with ${paymentGateway} (authorize): processing, authorized; 3 allocated`, s)

  await admin.Transactions.Capture({ order: order.id, transaction: payment.id })
  s = await eventually(() => state(order.id, product.id), (x) => x.order.status === 'complete', 'order complete')
  assert.equal(s.order.payment, 'paid')
  assert.equal(s.order.shipping, 'unfulfilled') // complete but not shipped
  report('5. admin captured: complete, paid, still unfulfilled', s)

  await admin.Orders.Update(order.id, { shipping: 'fulfilled' })
  s = await eventually(() => state(order.id, product.id), (x) => x.stock.total === 7, 'stock decremented')
  assert.equal(s.order.shipping, 'fulfilled')
  assert.deepEqual(s.stock, { total: 7, allocated: 0, available: 7 })
  report('6. admin flagged it fulfilled: shipped; stock decremented to 7', s)

  for (const [what, attempt] of [
    ['manual purchase', () => shopper.Orders.Payment(order.id, { gateway: 'manual', method: 'purchase' })],
    ['capture', () => shopper.Transactions.Capture({ order: order.id, transaction: payment.id })],
    ['refund', () => shopper.Transactions.Refund({ order: order.id, transaction: payment.id }, { amount: 100 })],
    ['stock change', () => shopper.Inventories.IncrementStock(product.id, 5)],
    ['product write', () => shopper.Products.Create({ name: 'x', sku: `x${Date.now()}`, slug: 'x' })],
    ['promotion write', () => shopper.Promotions.Create({ name: 'x' })],
    ['shipping update', () => shopper.Orders.Update(order.id, { shipping: 'fulfilled' })],
    ['gateway update', () => shopper.Gateways.Enabled('manual', false)],
  ]) {
    const refused = await attempt().then(() => null, (error) => error)
    assert.ok(refused && refused.errors && [401, 403].includes(refused.errors[0].status), `${what} was not refused`)
  }
  report('7. the shopper token was refused for a manual purchase, capture, refund, stock, product, promotion,'
    + ' shipping and gateway writes', {})
}

main().then(() => process.exit(0), (error) => {
  console.error(error && error.stack ? error.stack : JSON.stringify(error))
  process.exit(1)
})
