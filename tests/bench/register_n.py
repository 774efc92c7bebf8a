#!/usr/bin/python3
"""Registers N distinct Avro schemas on N subjects over one keep-alive connection.
usage: register_n.py URL N [PREFIX]   (prints registrations/s to stdout)"""
import http.client, json, sys, time, urllib.parse

url, n = sys.argv[1], int(sys.argv[2])
prefix = sys.argv[3] if len(sys.argv) > 3 else "s"
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port)
hdr = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
t0 = time.time()
for i in range(1, n + 1):
    schema = {"type": "record", "name": "r%d" % i, "fields": [{"name": "f", "type": "long"}]}
    conn.request("POST", "/subjects/%s%d-value/versions" % (prefix, i),
                 json.dumps({"schema": json.dumps(schema)}), hdr)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit("registration %d failed: %d %s" % (i, r.status, body[:200]))
print("%.0f" % (n / (time.time() - t0)))
