#!/usr/bin/env bash
# The JSON Schema in manifests/schema/ (for editors via yaml-language-server) against real
# manifests, and against `slctl validate` on cases both can judge: they must agree.
# Needs /usr/bin/python3 with python3-jsonschema and python3-yaml (scripts/deps.sh).
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
schema="$root/manifests/schema/schemalink.schema.json"

if ! /usr/bin/python3 -c 'import jsonschema, yaml' 2>/dev/null; then
	not_ok "python3-jsonschema and python3-yaml are installed" "run scripts/deps.sh"
	t_done
fi

# The committed schema is what gen.py writes (it writes next to itself: run a copy).
cp "$root/manifests/schema/gen.py" "$T_TMP/gen.py" && /usr/bin/python3 "$T_TMP/gen.py"
if cmp -s "$T_TMP/schemalink.schema.json" "$schema"; then
	ok "schema is up to date with gen.py"
else
	not_ok "schema is up to date with gen.py" "run /usr/bin/python3 manifests/schema/gen.py"
fi

# check.py FILE...: validates every document; prints "ok"/"not ok" per document.
cat >"$T_TMP/check.py" <<'PY'
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
v = jsonschema.Draft7Validator(schema)
mode = sys.argv[2]
for path in sys.argv[3:]:
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    errs = [e for d in docs for e in v.iter_errors(d)]
    if mode == "report":
        for i, d in enumerate(docs):
            es = list(v.iter_errors(d))
            name = "%s doc %d" % (path, i + 1)
            print(("ok " if not es else "not ok ") + "schema accepts " + name)
            for e in es[:3]:
                print("    %s: %s" % ("/".join(map(str, e.absolute_path)), e.message))
    else:
        print("valid" if not errs else "invalid")
PY

# Manifests under examples/, else the golden good cases.
shopt -s globstar nullglob
files=("$root"/examples/**/*.yaml "$root"/examples/**/*.yml)
if [ ${#files[@]} -eq 0 ]; then
	files=("$root"/tests/golden/validate/active-*/*.yaml)
fi
if [ ${#files[@]} -eq 0 ]; then
	not_ok "found manifests to check"
else
	/usr/bin/python3 "$T_TMP/check.py" "$schema" report "${files[@]}" | sed "s|$root/||"
fi

# Agreement: each case is a full manifest set (two registries plus the object under test),
# judged by slctl validate (exit 0 or 2) and by the schema.
regs='apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: source}
spec: {url: "http://localhost:8081", linkUrl: "http://schemaregistry:8081", clusterId: lsrc-1}
---
apiVersion: schemalink.io/v1alpha1
kind: Registry
metadata: {name: target}
spec: {url: "http://localhost:8082"}
---
apiVersion: schemalink.io/v1alpha1'
declare -A cases=(
	[good-link-none]='valid|kind: SchemaLink
metadata: {name: a}
spec: {source: source, destination: target, context: {type: none}}'
	[good-link-full]='valid|kind: SchemaLink
metadata: {name: My.Link_1}
spec:
  source: source
  destination: target
  subjects: [":.:*", "orders-value"]
  context: {type: CUSTOM, name: source}
  subjectRenameFormat: "dc_${subject}"
  config: {max.batch: 10}
  secretConfig: {basic.auth.user.info: {file: /run/secrets/ui}}
  state: paused
  suspend: true
  destinationMode: Unmanaged
  selfHeal: {enabled: false, forceImport: true, maxAttemptsPerHour: 0}
  resetOnUpdate: true'
	[good-link-auto]='valid|kind: SchemaLink
metadata: {name: a}
spec: {source: source, destination: target, context: {type: AUTO}}'
	[good-registry-auth]='valid|kind: Registry
metadata: {name: third, labels: {team: data}}
spec:
  url: https://sr.example.com
  auth: {basic: {username: {value: alice}, password: {env: SR_PASS}}}
  linkAuth: {oauth: {clientId: {value: c}, clientSecret: {file: cs}, issuerUrl: "https://idp/t"}}
  linkTls: {truststoreFile: t.jks, truststorePassword: {file: tp}}
  tls: {caFile: ca.pem, certFile: c.pem, keyFile: k.pem, insecureSkipVerify: false}
  timeouts: {connect: 2s, request: 1m30s}
  rateLimit: {readsPerSecond: 20, writesPerSecond: 0}
  mode: ReadOnly
  forceMode: true
  compatibility: full_transitive'
	[good-context]='valid|kind: Context
metadata: {name: c}
spec: {registry: target, context: .source, mode: import, forceMode: false, compatibility: NONE}'
	[good-subject]='valid|kind: Subject
metadata: {name: s}
spec: {registry: source, subject: "pageviews-value", mode: READONLY, compatibility: FULL}'
	[bad-enum]='invalid|kind: SchemaLink
metadata: {name: a}
spec: {source: source, destination: target, context: {type: CUTSOM, name: x}}'
	[bad-unknown-field]='invalid|kind: SchemaLink
metadata: {name: a}
spec: {source: source, destination: target, contxt: {}}'
	[bad-inline-password]='invalid|kind: Registry
metadata: {name: third}
spec: {url: "http://x", auth: {basic: {username: {value: a}, password: {value: p}}}}'
	[bad-inline-secret-config]='invalid|kind: SchemaLink
metadata: {name: a}
spec: {source: source, destination: target, secretConfig: {x.password: {value: p}}}'
	[bad-secret-in-config]='invalid|kind: SchemaLink
metadata: {name: a}
spec: {source: source, destination: target, config: {bearer.auth.token: t}}'
	[bad-name]='invalid|kind: Registry
metadata: {name: Third}
spec: {url: "http://x"}'
	[bad-url]='invalid|kind: Registry
metadata: {name: third}
spec: {url: "ftp://x"}'
	[bad-url-credentials]='invalid|kind: Registry
metadata: {name: third}
spec: {url: "http://u:p@x"}'
	[bad-missing-destination]='invalid|kind: SchemaLink
metadata: {name: a}
spec: {source: source}'
	[bad-empty-subjects]='invalid|kind: SchemaLink
metadata: {name: a}
spec: {source: source, destination: target, subjects: []}'
	[bad-rename-format]='invalid|kind: SchemaLink
metadata: {name: a}
spec: {source: source, destination: target, subjectRenameFormat: "x"}'
	[bad-custom-no-name]='invalid|kind: SchemaLink
metadata: {name: a}
spec: {source: source, destination: target, context: {type: CUSTOM}}'
	[bad-none-with-name]='invalid|kind: SchemaLink
metadata: {name: a}
spec: {source: source, destination: target, context: {type: NONE, name: x}}'
	[bad-max-attempts]='invalid|kind: SchemaLink
metadata: {name: a}
spec: {source: source, destination: target, selfHeal: {maxAttemptsPerHour: 5000}}'
	[bad-bool]='invalid|kind: SchemaLink
metadata: {name: a}
spec: {source: source, destination: target, suspend: "true"}'
	[bad-string-type]='invalid|kind: Registry
metadata: {name: third}
spec: {url: "http://x", clusterId: 42}'
	[bad-duration]='invalid|kind: Registry
metadata: {name: third}
spec: {url: "http://x", timeouts: {connect: 5 seconds}}'
	[bad-rate-negative]='invalid|kind: Registry
metadata: {name: third}
spec: {url: "http://x", rateLimit: {readsPerSecond: -1}}'
	[bad-rate-too-high]='invalid|kind: Registry
metadata: {name: third}
spec: {url: "http://x", rateLimit: {writesPerSecond: 100001}}'
	[bad-rate-string]='invalid|kind: Registry
metadata: {name: third}
spec: {url: "http://x", rateLimit: {readsPerSecond: "20"}}'
	[bad-rate-unknown]='invalid|kind: Registry
metadata: {name: third}
spec: {url: "http://x", rateLimit: {reads: 20}}'
	[bad-api-version]='invalid|kind: Context
metadata: {name: c}
spec: {registry: target, context: .x, mode: IMPORT}
apiVersion: v1'
	[bad-kind]='invalid|kind: Exporter
metadata: {name: c}
spec: {}'
	[bad-tls-pair]='invalid|kind: Registry
metadata: {name: third}
spec: {url: "http://x", tls: {certFile: c.pem}}'
	[bad-context-colon]='invalid|kind: Context
metadata: {name: c}
spec: {registry: target, context: ":.a:b", mode: IMPORT}'
	[bad-labels]='invalid|kind: Registry
metadata: {name: third, labels: {n: 1}}
spec: {url: "http://x"}'
)
for name in $(printf '%s\n' "${!cases[@]}" | sort); do
	want=${cases[$name]%%|*}
	body=${cases[$name]#*|}
	f="$T_TMP/$name.yaml"
	printf '%s\n%s\n' "$regs" "$body" >"$f"
	if [ "$name" = bad-api-version ]; then
		# A duplicate apiVersion key: replace the header's instead.
		printf '%s\n%s\n' "${regs%apiVersion: schemalink.io/v1alpha1}apiVersion: v1" \
			"${body%$'\n'apiVersion: v1}" >"$f"
	fi
	run slctl validate -f "$f"
	case $RC in 0) loader=valid ;; 2) loader=invalid ;; *) loader="exit $RC" ;; esac
	schema_says=$(/usr/bin/python3 "$T_TMP/check.py" "$schema" verdict "$f" 2>&1)
	expect_eq "slctl validate says $want for $name" "$loader" "$want"
	expect_eq "schema says $want for $name" "$schema_says" "$want"
done
t_done
