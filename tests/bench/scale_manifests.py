#!/usr/bin/env python3
# scale_manifests.py DIR N PER_SOURCE PER_SINK DST NSRC SOURCE_URL... SINK_URL...: the manifests
# of N links spread over several srlite processes, as tests/bench/bench_apply_scale.sh and
# bench_endpoints.sh set them up: DIR/00-registries.yaml with a Registry src-K at each of the
# NSRC source URLs and a Registry dst-J at DST for each sink URL (its linkUrl: the srlite only
# the exporters write to), and DIR/links-NNNNN.yaml, 100 SchemaLinks a file: link-NNNNN from
# src-(i/PER_SOURCE) to dst-(i/PER_SINK) with its one subject s-NNNNN, the default context and
# destination mode.
import os
import sys

m, n, per_src, per_sink, dst, nsrc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
sources, sinks = sys.argv[7:7 + nsrc], sys.argv[7 + nsrc:]
# LIMITS=floor (the default): no request budget (docs/internals/operations.md "Rate limits"):
# these srlite processes are the benchmark's own, and the figures are what the programs cost,
# not the budget. LIMITS=default: each Registry gets the default budget.
limit = ", rateLimit: {readsPerSecond: 0, writesPerSecond: 0}"
if os.environ.get("LIMITS", "floor") == "default":
    limit = ""
reg = ("---\napiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: %s}\n"
       "spec: {%s" + limit + "}\n")
with open(m + "/00-registries.yaml", "w") as f:
    for k, u in enumerate(sources):
        f.write(reg % ("src-%d" % k, "url: %s" % u))
    for j, u in enumerate(sinks):
        f.write(reg % ("dst-%d" % j, "url: %s, linkUrl: %s" % (dst, u)))
doc = ("---\napiVersion: schemalink.io/v1alpha1\nkind: SchemaLink\nmetadata: {name: link-%05d}\n"
       "spec: {source: src-%d, destination: dst-%d, subjects: [s-%05d]}\n")
for f0 in range(0, n, 100):
    with open("%s/links-%05d.yaml" % (m, f0 // 100), "w") as f:
        for i in range(f0, min(n, f0 + 100)):
            f.write(doc % (i, i // per_src, i // per_sink, i))
