#!/usr/bin/env bash
# docs/manifests.md against the JSON Schema in manifests/schema/: every field path of every kind
# is documented in that kind's section, no documented field is missing from the schema, every
# enum value of the schema appears in its field's row, and every ```yaml block validates.
# Needs /usr/bin/python3 with python3-yaml and python3-jsonschema.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)

if ! /usr/bin/python3 -c 'import jsonschema, yaml' 2>/dev/null; then
	not_ok "python3-jsonschema and python3-yaml are installed" "run scripts/deps.sh"
	t_done
fi

cat >"$T_TMP/check.py" <<'PY'
import json, re, sys
import jsonschema, yaml

schema_path, doc_path = sys.argv[1], sys.argv[2]
schema = json.load(open(schema_path))
doc = open(doc_path, encoding="utf-8").read()
fails = 0


def report(good, name, *details):
    global fails
    print(("ok " if good else "not ok ") + name)
    if not good:
        fails += 1
        for d in details[:20]:
            print("    " + d)


def enum_values(node):
    """Values of a ci() enum (pattern + 'one of' description), an enum or a const."""
    if "enum" in node:
        return list(node["enum"])
    if "const" in node:
        return [node["const"]]
    d = node.get("description", "")
    m = re.match(r"one of (.*) \(case-insensitive\)$", d)
    return [v.strip() for v in m.group(1).split(",")] if m else []


def walk(node, prefix, out):
    """Field paths below node: properties (also inside allOf); a $ref is a leaf (secret)."""
    if "$ref" in node:
        return
    props = {}
    for sub in [node] + node.get("allOf", []):
        props.update(sub.get("properties", {}))
    for k, v in props.items():
        p = prefix + "." + k if prefix else k
        merged = dict(v)
        for sub in v.get("allOf", []):
            merged.update({kk: vv for kk, vv in sub.items() if kk != "properties"})
        out[p] = merged
        walk(v, p, out)


# Expected paths per section of the doc.
expected = {}
common = {}
walk({"properties": schema["properties"]}, "", common)
expected["Common fields"] = common
secrets = {}
for d in schema["definitions"].values():
    for k, v in d.get("properties", {}).items():
        secrets[k] = v
expected["Secret references"] = secrets
for branch in schema["allOf"]:
    kind = branch["if"]["properties"]["kind"]["const"]
    paths = {}
    walk(branch["then"]["properties"]["spec"], "spec", paths)
    expected[kind] = paths

# Documented paths: first cell of table rows, per "## " section.
sections = {}
current = None
for line in doc.splitlines():
    m = re.match(r"^## (.+?)\s*$", line)
    if m:
        current = m.group(1)
        sections.setdefault(current, {})
        continue
    m = re.match(r"^\|\s*`([^`]+)`\s*\|", line)
    if m and current is not None:
        sections[current][m.group(1)] = line

for sec, paths in expected.items():
    got = sections.get(sec)
    report(got is not None, "docs/manifests.md has a section \"## %s\"" % sec)
    if got is None:
        continue
    missing = sorted(set(paths) - set(got))
    extra = sorted(set(got) - set(paths))
    report(not missing, "%s: every schema field is documented (%d fields)" % (sec, len(paths)),
           *["missing: " + p for p in missing])
    report(not extra, "%s: every documented field is in the schema" % sec,
           *["not in the schema: " + p for p in extra])
    bad = []
    for p, node in paths.items():
        row = got.get(p)
        if row is None:
            continue
        for v in enum_values(node):
            if "`%s`" % v not in row:
                bad.append("%s: value %s not in its row" % (p, v))
    report(not bad, "%s: every allowed value of an enum field is listed" % sec, *bad)

# Every ```yaml block: each document validates against the schema.
validator = jsonschema.Draft7Validator(schema)
blocks = re.findall(r"^```yaml\n(.*?)^```", doc, re.S | re.M)
report(len(blocks) >= 4, "docs/manifests.md has yaml examples (%d)" % len(blocks))
kinds_seen = set()
for i, text in enumerate(blocks, 1):
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        report(False, "yaml example %d parses" % i, str(e))
        continue
    errs = []
    for d in docs:
        if isinstance(d, dict):
            kinds_seen.add(d.get("kind"))
        for e in validator.iter_errors(d):
            errs.append("%s: %s" % ("/".join(map(str, e.absolute_path)), e.message))
    report(docs and not errs, "yaml example %d (%d documents) validates against the schema" %
           (i, len(docs)), *errs)
report(kinds_seen >= {"Registry", "SchemaLink", "Context", "Subject"},
       "yaml examples cover every kind", "seen: %s" % sorted(k for k in kinds_seen if k))
sys.exit(1 if fails else 0)
PY

/usr/bin/python3 "$T_TMP/check.py" "$root/manifests/schema/schemalink.schema.json" \
	"$root/docs/manifests.md" || T_FAILS=$((T_FAILS + 1))
t_done
