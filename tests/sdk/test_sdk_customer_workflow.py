"""A logged-in storefront through the official, unchanged `@elasticpath/js-sdk` under Node, against the
full stack behind the nginx gateway: register, guest cart, log in, merge, associate, list carts, save
an address and check out with it, list orders, with another customer's token refused at each step
(`customer_workflow.js`)."""

from __future__ import annotations

from shared.settings import DEV_CLIENT_ID, DEV_CLIENT_SECRET
from tests.sdk.workflow import run_workflow, sdk_installed  # noqa: F401

REFUSED = {"status": 403, "detail": "Customer does not have the required permissions to fulfill this request"}


async def test_a_logged_in_storefront_through_the_official_sdk(gateway_stack, sdk_installed):  # noqa: F811
    steps = await run_workflow(
        gateway_stack.gateway_url, DEV_CLIENT_ID, DEV_CLIENT_SECRET, "manual", script="customer_workflow.js"
    )
    by_step = {step["step"][:2]: step for step in steps}
    assert list(by_step) == ["1.", "2.", "3.", "4.", "5.", "6.", "7.", "8."], steps
    merged = by_step["4."]["cart"]
    assert merged.pop("wrap") == 1 and list(merged.values()) == [3]  # 1 shoe of hers + the guest's 2
    assert by_step["5."]["refused"] == {
        "associate with Ben": REFUSED,
        "read without a token": REFUSED,
        "read with Ben": REFUSED,
        "add with Ben": REFUSED,
        "merge with Ben": REFUSED,
    }
    assert (by_step["6."]["ann"], by_step["6."]["ben"]) == (1, 0)
    assert by_step["7."]["order"] == "incomplete"
    refused_at_7 = by_step["7."]["refused"]
    assert refused_at_7["check out with Ben"] == REFUSED
    assert refused_at_7["read her addresses with Ben"]["status"] == 403
    assert by_step["8."]["orders"] == 1
    refused_at_8 = by_step["8."]["refused"]
    assert (
        refused_at_8["read the order with Ben"]["status"] == 404
    )  # nobody learns someone else's order exists
    assert refused_at_8["read Ann with Ben"]["status"] == 403
