// A logged-in storefront through the official, unchanged @elasticpath/js-sdk: register, build a guest
// cart, log in, merge the guest cart into the customer's cart, associate it, list the customer's carts,
// check out with a saved address, list the customer's orders; another customer's token is refused at
// each step.
// Usage: EP_HOST=127.0.0.1:8080 CLIENT_ID=... CLIENT_SECRET=... node customer_workflow.js
// Prints one JSON line per step and exits non-zero on the first expectation that does not hold.
'use strict'
const assert = require('node:assert/strict')
const { randomUUID } = require('node:crypto')
const { gateway, MemoryStorageFactory } = require('@elasticpath/js-sdk')
const { eventually, orFailure } = require('./waiting')

const host = process.env.EP_HOST || '127.0.0.1:8080'
const common = { host, protocol: 'http', client_id: process.env.CLIENT_ID }
const admin = gateway({ ...common, client_secret: process.env.CLIENT_SECRET, storage: new MemoryStorageFactory() })
const shopper = gateway({ ...common, storage: new MemoryStorageFactory() })
// A signed-in storefront sends the customer's token with every call: the SDK's Cart.Get, Items and
// Checkout take no token argument, so it goes in the configuration's headers.
const storefrontOf = (token) => gateway({ ...common, storage: new MemoryStorageFactory(),
  headers: { 'X-MOLTIN-CUSTOMER-TOKEN': token } })
const NO_PERMISSION = 'Customer does not have the required permissions to fulfill this request'

// The SDK rejects with the parsed error body: the status of its one error, or a failure if it succeeded.
async function refusal(what, call) {
  const answer = await call().then((ok) => ({ ok }), (error) => error)
  assert.ok(answer && answer.errors, `${what} was not refused: ${JSON.stringify(answer)}`)
  return { status: answer.errors[0].status, detail: answer.errors[0].detail }
}

function report(step, details) {
  console.log(JSON.stringify({ step, ...details }))
}

async function register(name) {
  const email = `${name.split(' ')[0].toLowerCase()}.${Date.now()}.${randomUUID().slice(0, 6)}@example.com`
  const password = 'correct horse 42'
  const customer = (await shopper.Customers.Create({ name, email, password })).data
  assert.equal(customer.password, true)
  return { id: customer.id, name, email, password }
}

async function logIn(customer) {
  const token = (await shopper.Customers.TokenViaPassword(customer.email, customer.password)).data
  assert.equal(token.customer_id, customer.id)
  return token.token
}

const quantities = (items) => Object.fromEntries(items.map((item) => [item.sku, item.quantity]))

async function main() {
  const sku = `sdk-cust-${Date.now()}`
  const product = (await admin.Products.Create({
    name: 'Deck Shoe', slug: sku, sku, description: 'A shoe', manage_stock: true, status: 'live',
    commodity_type: 'physical', price: [{ amount: 5000, currency: 'USD', includes_tax: false }],
  })).data
  await admin.Inventories.Create(product.id, 10)
  const ann = await register('Ann Perkins')
  const ben = await register('Ben Wyatt')
  report('1. two shoppers registered (Customers.Create)', { customers: 2 })

  const guestRef = randomUUID().replace(/-/g, '')
  const guest = shopper.Cart(guestRef)
  await eventually(orFailure(() => guest.AddProduct(product.id, 2)), (r) => r && r.data,
    'product added to the guest cart (availability reached the cart)')
  await guest.AddCustomItem({ type: 'custom_item', name: 'Gift wrap', sku: 'wrap', quantity: 1,
    price: { amount: 300, includes_tax: true } })
  report('2. a guest cart: 2 shoes and gift wrap', { guest: quantities((await guest.Items()).data) })

  const annToken = await logIn(ann)
  const benToken = await logIn(ben)
  const annStore = storefrontOf(annToken)
  const benStore = storefrontOf(benToken)
  const cartRef = randomUUID().replace(/-/g, '')
  await annStore.Cart(cartRef).AddProduct(product.id, 1) // a cart is made by its first item
  report('3. Ann logged in (Customers.TokenViaPassword); her cart holds 1 shoe', {})

  const merged = await shopper.Cart(cartRef).Merge(guestRef, annToken)
  assert.equal(merged.errors, undefined)
  assert.deepEqual(quantities(merged.data), { [sku]: 3, wrap: 1 })
  assert.deepEqual(quantities((await guest.Items()).data), { [sku]: 2, wrap: 1 }) // left as it was
  report('4. Cart.Merge brought the guest cart in: 3 shoes and gift wrap; the guest cart unchanged',
    { cart: quantities(merged.data) })

  const associated = await shopper.Cart(cartRef).AddCustomerAssociation(ann.id, annToken)
  assert.deepEqual(associated.data, [{ type: 'customer', id: ann.id }])
  const annsCart = (await annStore.Cart(cartRef).Get()).data
  assert.deepEqual(annsCart.relationships.customers.data, { type: 'customer', id: ann.id })
  const refusedAt5 = {
    'associate with Ben': await refusal('associate', () => shopper.Cart(cartRef).AddCustomerAssociation(ben.id, benToken)),
    'read without a token': await refusal('guest read', () => shopper.Cart(cartRef).Get()),
    'read with Ben': await refusal('Ben read', () => benStore.Cart(cartRef).Get()),
    'add with Ben': await refusal('Ben add', () => shopper.Cart(cartRef).AddProduct(product.id, 1, {}, false, benToken)),
    'merge with Ben': await refusal('Ben merge', () => shopper.Cart(cartRef).Merge(guestRef, benToken)),
  }
  report('5. Cart.AddCustomerAssociation made the cart Ann\'s; Ben and a guest are refused', { refused: refusedAt5 })

  const listed = await eventually(() => shopper.Cart().GetCartsList(annToken),
    (r) => r.data.some((cart) => cart.id === cartRef), "Ann's carts listed")
  assert.deepEqual(listed.data.map((cart) => cart.id), [cartRef])
  assert.equal(listed.meta.results.total, 1)
  const bensList = await shopper.Cart().GetCartsList(benToken)
  assert.ok(!bensList.data.some((cart) => cart.id === cartRef))
  report('6. Cart.GetCartsList: Ann\'s cart is hers alone', { ann: listed.data.length, ben: bensList.data.length })

  const home = { name: 'Home', first_name: 'Ann', last_name: 'Perkins', line_1: '2 Lot 48', city: 'Pawnee',
    postcode: '46001', county: 'Wamapoke', country: 'US' }
  const saved = (await shopper.CustomerAddresses.Create({ customer: ann.id, body: home, token: annToken })).data
  const address = (await shopper.CustomerAddresses.Get({ customer: ann.id, address: saved.id, token: annToken })).data
  assert.equal(address.line_1, home.line_1)
  const refusedAt7 = {
    'read her addresses with Ben': await refusal('Ben addresses',
      () => shopper.CustomerAddresses.All({ customer: ann.id, token: benToken })),
    'check out with Ben': await refusal('Ben checkout', () => benStore.Cart(cartRef).Checkout(ben.id, address)),
  }
  // The saved address goes to the checkout as the Addresses API answered it.
  const order = (await annStore.Cart(cartRef).Checkout(ann.id, address)).data
  assert.equal(order.relationships.customer.data.id, ann.id)
  assert.deepEqual(order.customer, { name: ann.name, email: ann.email })
  assert.deepEqual([order.billing_address.line_1, order.shipping_address.postcode], [home.line_1, home.postcode])
  assert.equal(order.meta.display_price.with_tax.amount, 3 * 5000 + 300)
  report('7. Ann saved an address (CustomerAddresses.Create) and checked out her cart with it; Ben could not',
    { order: order.status, refused: refusedAt7 })

  const annsOrders = await eventually(orFailure(() => shopper.Orders.All(annToken)),
    (r) => r && r.data && r.data.some((o) => o.id === order.id), "Ann's order listed")
  assert.ok(annsOrders.data.every((o) => o.relationships.customer.data.id === ann.id))
  const bensOrders = await shopper.Orders.All(benToken)
  assert.ok(!bensOrders.data.some((o) => o.id === order.id))
  const refusedAt8 = {
    'read the order with Ben': await refusal('Ben order', () => shopper.Orders.Get(order.id, benToken)),
    'read Ann with Ben': await refusal('Ben customer', () => shopper.Customers.Get(ann.id, benToken)),
  }
  report("8. Orders.All lists Ann's order for Ann only", { orders: annsOrders.data.length, refused: refusedAt8 })
}

main().then(() => process.exit(0), (error) => {
  console.error(error && error.stack ? error.stack : JSON.stringify(error))
  process.exit(1)
})
