#!/usr/bin/python3
"""Generates schemalink.schema.json (JSON Schema draft-07) for the four manifest kinds.

Run from the repository root: /usr/bin/python3 manifests/schema/gen.py
The output is committed; tests/e2e/manifest_schema.sh checks that the schema and
`slctl validate` agree. Enum values are case-insensitive on input (docs/internals/manifests.md §2), written as
character-class patterns because JSON Schema regexes have no case-insensitive flag that both
Python and yaml-language-server (JavaScript) understand.
"""
import json
import os


def ci(values):
    def one(v):
        return "".join("[%s%s]" % (c.upper(), c.lower()) if c.isalpha() else c for c in v)
    return {"type": "string", "pattern": "^(?:" + "|".join(one(v) for v in values) + ")$",
            "description": "one of " + ", ".join(values) + " (case-insensitive)"}


def obj(props, required=(), **extra):
    o = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        o["required"] = list(required)
    o.update(extra)
    return o


string = {"type": "string"}
url = {"type": "string", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/@?#\\s:][^@\\s]*$",
       "description": "http:// or https:// URL without credentials"}
duration = {"type": "string", "pattern": "^(0|([0-9]+(ms|s|m|h))+)$"}
boolean = {"type": "boolean"}
rate = {"type": "integer", "minimum": 0, "maximum": 100000,
        "description": "requests per second; 0 = no limit"}

secret_any = obj({"value": string, "env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                  "file": {"type": "string", "minLength": 1}}, minProperties=1, maxProperties=1,
                 description="secret reference: one of value, env, file")
secret_ref = obj({"env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                  "file": {"type": "string", "minLength": 1}}, minProperties=1, maxProperties=1,
                 description="secret reference: env or file (inline values are not allowed)")

basic = obj({"username": {"$ref": "#/definitions/secretAny"},
             "password": {"$ref": "#/definitions/secretRef"}}, ["username", "password"])
bearer = obj({"token": {"$ref": "#/definitions/secretRef"}}, ["token"])
oauth = obj({"clientId": {"$ref": "#/definitions/secretAny"},
             "clientSecret": {"$ref": "#/definitions/secretRef"},
             "issuerUrl": url, "scope": string, "logicalCluster": string,
             "identityPoolId": string}, ["clientId", "clientSecret", "issuerUrl"])

modes = ["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT", "FORWARD", "INHERIT"]
compat = ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
          "FULL_TRANSITIVE", "NONE", "INHERIT"]
name = {"type": "string", "maxLength": 63, "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}
link_name = {"type": "string", "maxLength": 255,
             "pattern": "^[A-Za-z0-9]([-A-Za-z0-9._]*[A-Za-z0-9])?$"}

registry_spec = obj({
    "url": url, "linkUrl": url, "clusterId": {"type": "string", "minLength": 1},
    "auth": obj({"basic": basic, "bearer": bearer}, minProperties=1, maxProperties=1),
    "linkAuth": obj({"basic": basic, "bearer": bearer, "oauth": oauth}, minProperties=1,
                    maxProperties=1),
    "linkTls": obj({"truststoreFile": string,
                    "truststorePassword": {"$ref": "#/definitions/secretRef"},
                    "keystoreFile": string,
                    "keystorePassword": {"$ref": "#/definitions/secretRef"}},
                   dependencies={"truststorePassword": ["truststoreFile"],
                                 "keystorePassword": ["keystoreFile"]}),
    "tls": obj({"caFile": string, "certFile": string, "keyFile": string,
                "insecureSkipVerify": boolean},
               dependencies={"certFile": ["keyFile"], "keyFile": ["certFile"]}),
    "timeouts": obj({"connect": duration, "request": duration}),
    "rateLimit": obj({"readsPerSecond": rate, "writesPerSecond": rate}),
    "mode": ci([m for m in modes if m != "FORWARD"]),
    "forceMode": boolean,
    "compatibility": ci(compat),
}, ["url"])

secret_words = "[Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]|[Ss][Ee][Cc][Rr][Ee][Tt]|[Tt][Oo][Kk][Ee][Nn]|" \
    "[Uu][Ss][Ee][Rr]\\.?[Ii][Nn][Ff][Oo]"
link_spec = obj({
    "source": string, "destination": string,
    "subjects": {"type": "array", "minItems": 1, "uniqueItems": True,
                 "items": {"type": "string", "minLength": 1}},
    "context": {"allOf": [
        obj({"type": ci(["AUTO", "CUSTOM", "NONE"]), "name": {"type": "string", "minLength": 1}}),
        {"if": {"properties": {"type": ci(["AUTO", "NONE"])}, "required": ["type"]},
         "then": {"not": {"required": ["name"]}},
         "else": {"required": ["name"]}}]},
    "subjectRenameFormat": {"type": "string", "pattern": "\\$\\{subject\\}"},
    "config": {"type": "object",
               "propertyNames": {"not": {"pattern": secret_words}},
               "additionalProperties": {"type": ["string", "number", "boolean"]},
               "description": "extra exporter config; keys holding secrets go in secretConfig"},
    "secretConfig": {"type": "object",
                     "additionalProperties": {"$ref": "#/definitions/secretRef"}},
    "state": ci(["Running", "Paused"]),
    "suspend": boolean,
    "destinationMode": ci(["Import", "Unmanaged"]),
    "selfHeal": obj({"enabled": boolean, "forceImport": boolean,
                     "maxAttemptsPerHour": {"type": "integer", "minimum": 0, "maximum": 3600}}),
    "resetOnUpdate": boolean,
}, ["source", "destination"])

context_spec = obj({"registry": string, "context": {"type": "string", "pattern": "^[^:]*$"},
                    "mode": ci(modes), "forceMode": boolean, "compatibility": ci(compat)},
                   ["registry", "context"])
subject_spec = obj({"registry": string, "subject": {"type": "string", "minLength": 1},
                    "mode": ci([m for m in modes if m != "FORWARD"]), "forceMode": boolean,
                    "compatibility": ci(compat)}, ["registry", "subject"])


def kind(k, spec, nm=name):
    return {"if": {"properties": {"kind": {"const": k}}, "required": ["kind"]},
            "then": {"properties": {"metadata": {"properties": {"name": nm}}, "spec": spec}}}


schema = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "https://schemalink.io/schemas/v1alpha1/schemalink.schema.json",
    "title": "schemalink manifest (schemalink.io/v1alpha1)",
    "description": "Registry, SchemaLink, Context and Subject documents (docs/internals/manifests.md §2). "
                   "Cross-object rules are checked by `slctl validate` only.",
    "definitions": {"secretAny": secret_any, "secretRef": secret_ref},
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "schemalink.io/v1alpha1"},
        "kind": {"enum": ["Registry", "SchemaLink", "Context", "Subject"]},
        "metadata": obj({"name": {"type": "string"},
                         "labels": {"type": "object", "additionalProperties": string}},
                        ["name"]),
        "spec": {"type": "object"},
    },
    "allOf": [kind("Registry", registry_spec), kind("SchemaLink", link_spec, link_name),
              kind("Context", context_spec), kind("Subject", subject_spec)],
}

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "schemalink.schema.json"), "w") as f:
    json.dump(schema, f, indent=2, sort_keys=False)
    f.write("\n")
