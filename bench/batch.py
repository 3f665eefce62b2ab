"""create-contacts throughput: BATCHES requests of 1000 contacts each, one client; prints contacts/s."""
import json, sys, time, urllib.request

base, token, batches = sys.argv[1], sys.argv[2], int(sys.argv[3])
def body(b):
    return json.dumps({"contacts": [
        {"phone": f"+1415{3000000 + b * 1000 + i}", "name": f"Batch {i}", "email": f"b{i}@example.com",
         "tags": "vip, batch", "metadata": {"shopify_id": str(i), "lifetime_value": 8742.00}}
        for i in range(1000)]}).encode()
bodies = [body(b) for b in range(batches)]
start = time.monotonic()
for data in bodies:
    request = urllib.request.Request(base + "/api/v1/actions/create-contacts", data=data, method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
    with urllib.request.urlopen(request) as response:
        results = json.load(response)["results"]
        assert all(r["status"] == 201 for r in results), results[:3]
print(f"{batches * 1000 / (time.monotonic() - start):.0f}")
