"""create-contacts throughput: BATCHES requests of 1000 contacts each from CLIENTS concurrent
clients (default 1); prints contacts/s. Each request's phones are new, so every contact is created."""
import json, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor

base, token, batches = sys.argv[1], sys.argv[2], int(sys.argv[3])
clients = int(sys.argv[4]) if len(sys.argv) > 4 else 1
first = int(sys.argv[5]) if len(sys.argv) > 5 else 3000000

def body(b):
    return json.dumps({"contacts": [
        {"phone": f"+1415{first + b * 1000 + i}", "name": f"Batch {i}", "email": f"b{i}@example.com",
         "tags": "vip, batch", "metadata": {"shopify_id": str(i), "lifetime_value": 8742.00}}
        for i in range(1000)]}).encode()

def send(data):
    request = urllib.request.Request(base + "/api/v1/actions/create-contacts", data=data, method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
    with urllib.request.urlopen(request) as response:
        results = json.load(response)["results"]
        assert all(r["status"] == 201 for r in results), results[:3]

bodies = [body(b) for b in range(batches)]
start = time.monotonic()
with ThreadPoolExecutor(clients) as pool:
    list(pool.map(send, bodies))
print(f"{batches * 1000 / (time.monotonic() - start):.0f}")
