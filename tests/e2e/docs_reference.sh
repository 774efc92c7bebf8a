#!/usr/bin/env bash
# Documentation against the code.
#
# 1. References to documents, in pkg/ include/ cmd/ tests/ scripts/ manifests/ Makefile
#    README.md docs/ (this script excepted): no citation of the five design documents by their
#    old upper-case names, which are not in the repository (they are docs/internals/*.md now);
#    every docs/...md path and every relative .md link in docs/ and README.md names a file that
#    exists; and what follows a reference resolves in the document it names: a section
#    (§2, §2.3, ranges §1–§2 and §2.1-§2.6, lists §2.1, §3) needs a heading holding that
#    number, "rule N" (or a bare N) after style.md a numbered rule, a quoted "Heading" right
#    after the name a heading that contains it, and a quoted phrase after a section number that
#    phrase within the section. Each bad reference is printed as file:line.
# 2. docs/manifests.md against the JSON Schema in manifests/schema/: every field path of every
#    kind is documented in that kind's section, no documented field is missing from the schema,
#    every enum value of the schema appears in its field's row, and every ```yaml block
#    validates.
# Needs /usr/bin/python3; part 2 also python3-yaml and python3-jsonschema.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)

cat >"$T_TMP/refs.py" <<'PY'
import os, re, sys

root = sys.argv[1]
SELF = "tests/e2e/docs_reference.sh"
SCAN = ["pkg", "include", "cmd", "tests", "scripts", "manifests", "Makefile", "README.md", "docs"]
# The design documents' old names (written without their extension here, so that neither this
# script nor a tree-wide rename of the citations matches its own text) and their new homes.
OLD = {"ARCHITECTURE": "architecture", "OPERATIONS": "operations", "REGISTRY-API": "registry",
       "MANIFESTS": "manifests", "STYLE": "style"}
INTERNALS = ["README", "architecture", "reconcile", "registry", "operations", "manifests",
             "style"]
# docs/...md paths that name a file of another repository, not of this one: (file, path).
EXTERNAL = {("docs/comparison.md", "docs/resources/confluent_schema_exporter.md")}
MAX_DETAILS = 50
fails = 0


def report(good, name, details):
    global fails
    print(("ok " if good else "not ok ") + name)
    if not good:
        fails += 1
        for d in details[:MAX_DETAILS]:
            print("    " + d)
        if len(details) > MAX_DETAILS:
            print("    ... and %d more" % (len(details) - MAX_DETAILS))


def norm(s):
    return " ".join(s.replace("`", "").replace("*", "").split()).lower()


def files():
    for top in SCAN:
        p = os.path.join(root, top)
        if os.path.isfile(p):
            yield top
            continue
        for d, dirs, names in os.walk(p):
            dirs[:] = sorted(x for x in dirs if x != ".git")
            for n in sorted(names):
                rel = os.path.relpath(os.path.join(d, n), root)
                if rel != SELF:
                    yield rel


def read_text(rel):
    try:
        data = open(os.path.join(root, rel), "rb").read()
    except OSError:
        return None
    if b"\0" in data:
        return None  # binary (fuzz inputs and the like)
    # JSON files spell the section sign as an escape.
    return data.decode("utf-8", "replace").replace("\\u00a7", "\u00a7")


class Doc:
    """The headings of one markdown file: text, § numbers, rule numbers, section spans."""

    def __init__(self, path):
        self.lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
        self.heads = []  # (line index, level, text)
        self.rules = set()
        fence = False
        for i, line in enumerate(self.lines):
            if line.startswith("```"):
                fence = not fence
                continue
            if fence:
                continue
            m = re.match(r"^(#{1,6})\s+(.*?)\s*$", line)
            if m:
                self.heads.append((i, len(m.group(1)), m.group(2)))
                r = re.match(r"(?i)(?:rule\s+)?(\d+)\b", m.group(2))
                if r:
                    self.rules.add(int(r.group(1)))
            r = re.match(r"^(\d+)\.\s", line)
            if r:
                self.rules.add(int(r.group(1)))
        self.sections = {}
        for k, (i, level, text) in enumerate(self.heads):
            for m in re.finditer(r"\u00a7(\d+(?:\.\d+)?)(?![\d.]*\d)", text):
                end = len(self.lines)
                for j, lv, _ in self.heads[k + 1:]:
                    if lv <= level:
                        end = j
                        break
                self.sections.setdefault(m.group(1), (i, end))

    def has_heading(self, quote):
        q = norm(quote)
        return any(q in norm(t) for _, _, t in self.heads)

    def section_has(self, sec, phrase):
        i, end = self.sections[sec]
        return norm(phrase) in norm(" ".join(self.lines[i:end]))


docs = {}


def doc(rel):
    if rel not in docs:
        docs[rel] = Doc(os.path.join(root, rel))
    return docs[rel]


OLD_RE = re.compile(r"(?<![A-Za-z0-9_.-])(" + "|".join(re.escape(k) for k in OLD) + r")\.md")
REF_RE = re.compile(r"(?<![\w./-])(docs/[\w./-]*\.md)")
LINK_RE = re.compile(r"\]\(([^()\s#]+\.md)(#[^()\s]*)?\)")
TOKEN_RE = re.compile(
    r"\u00a7(\d+)(?:\.(\d+))?(?:\s*[\u2013-]\s*\u00a7(\d+)(?:\.(\d+))?)?"
    r'|"([^"\n]+)"'
    r"|(?i:\brule\s+(\d+))")


def tail_of(rest, nxt):
    """What follows a reference up to the end of its designators: the rest of the line and the
    next one (comment leader dropped), cut outside quotes at ) ; : [ a sentence's period or
    another reference."""
    t = rest + " " + re.sub(r"^\s*(?:\*|#|//|--)?\s*", "", nxt)
    quote = False
    for k, ch in enumerate(t):
        if ch == '"':
            quote = not quote
        if quote:
            continue
        if ch in ");:[" or (ch == "." and (k + 1 == len(t) or t[k + 1].isspace())):
            return t[:k]
        if k and (t.startswith("docs/", k) or OLD_RE.match(t, k)):
            return t[:k]
    return t


def check_tail(where, target, tail, bad_sec, bad_rule, bad_head):
    d = doc(target)
    name = os.path.basename(target)
    after_section = None
    if name == "style.md":
        m = re.match(r"\s*`?\s*(\d+)\b", tail)
        if m and int(m.group(1)) not in d.rules:
            bad_rule.append("%s: %s rule %s: no such numbered rule" % (where, target, m.group(1)))
    for m in TOKEN_RE.finditer(tail):
        a, a2, b, b2, quote, rule = m.groups()
        if a is not None:
            secs = []
            lo = (int(a), int(a2) if a2 else None)
            hi = (int(b), int(b2) if b2 else None) if b else lo
            if lo[1] is None and hi[1] is None:
                secs = [str(n) for n in range(lo[0], hi[0] + 1)]
            elif lo[0] == hi[0] and lo[1] is not None and hi[1] is not None:
                secs = ["%d.%d" % (lo[0], n) for n in range(lo[1], hi[1] + 1)]
            else:
                secs = ["%d.%d" % x if x[1] is not None else str(x[0]) for x in (lo, hi)]
            missing = [s for s in secs if s not in d.sections]
            if missing:
                bad_sec.append("%s: %s %s: no heading with \u00a7%s" %
                               (where, target, m.group(0), ", \u00a7".join(missing)))
            after_section = secs[-1] if not missing else None
        elif quote is not None:
            if after_section is not None:
                if not d.section_has(after_section, quote) and not d.has_heading(quote):
                    bad_head.append('%s: %s \u00a7%s "%s": not in that section' %
                                    (where, target, after_section, quote))
            elif not d.has_heading(quote):
                bad_head.append('%s: %s "%s": no such heading' % (where, target, quote))
        elif rule is not None and name == "style.md":
            if int(rule) not in d.rules:
                bad_rule.append("%s: %s rule %s: no such numbered rule" % (where, target, rule))


old_refs, missing, bad_sec, bad_rule, bad_head = [], [], [], [], []
nrefs = 0
for rel in files():
    text = read_text(rel)
    if text is None:
        continue
    lines = text.split("\n")
    markdown = rel.endswith(".md") and (rel.startswith("docs/") or rel == "README.md")
    for i, line in enumerate(lines):
        where = "%s:%d" % (rel, i + 1)
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        for m in OLD_RE.finditer(line):
            if not line[:m.start()].endswith("docs/internals/"):
                old_refs.append("%s: %s (now docs/internals/%s.md)" %
                                (where, m.group(0), OLD[m.group(1)]))
        refs = [(m.group(1), m.end()) for m in REF_RE.finditer(line)]
        if markdown:
            for m in LINK_RE.finditer(line):
                if re.match(r"^[a-z]+:", m.group(1)):
                    continue  # a URL
                p = os.path.normpath(os.path.join(os.path.dirname(rel), m.group(1)))
                refs.append((p, m.end()))
        for target, end in refs:
            nrefs += 1
            if (rel, target) in EXTERNAL:
                continue
            if not os.path.isfile(os.path.join(root, target)):
                missing.append("%s: %s: no such file" % (where, target))
                continue
            if target.endswith(".md"):
                check_tail(where, target, tail_of(line[end:], nxt), bad_sec, bad_rule, bad_head)

have = [n for n in INTERNALS if os.path.isfile(os.path.join(root, "docs/internals", n + ".md"))]
report(len(have) == len(INTERNALS),
       "docs/internals holds the design documents (%d of %d)" % (len(have), len(INTERNALS)),
       ["missing: docs/internals/%s.md" % n for n in INTERNALS if n not in have])
report(not old_refs, "no citation of a design document by its old name (%d found)" %
       len(old_refs), old_refs)
report(not missing, "every referenced document exists (%d references)" % nrefs, missing)
report(not bad_sec, "every cited section has its heading", bad_sec)
report(not bad_rule, "every cited style rule exists", bad_rule)
report(not bad_head, "every cited heading or quoted phrase exists", bad_head)
sys.exit(1 if fails else 0)
PY

/usr/bin/python3 "$T_TMP/refs.py" "$root" || T_FAILS=$((T_FAILS + 1))

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
