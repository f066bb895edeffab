#!/usr/bin/env python3
"""Renders a CloudFormation template for one set of parameter values, as JSON on stdout.

    render.py TEMPLATE [Name=Value ...]

The given values (and the other parameters' defaults) decide every condition: resources and
outputs whose condition is false are left out, each Fn::If is replaced by the branch it picks,
and AWS::NoValue disappears. Rules and Conditions go; the parameters stay, with the given values
as their defaults. Nothing else changes: Refs, Subs and the SAM transform are kept.

checkov skips whatever sits behind an Fn::If in a list (a policy statement of one credential, say),
so infra/lint.sh runs it on these renderings too: the defaults, and Credential=federation. (cfn-lint
needs none: it checks every combination of conditions in the template itself.)
Needs cfn-lint's YAML decoder (infra/requirements.txt).
"""
import json
import sys

from cfnlint.decode import decode_str

NO_VALUE = object()


def render(template, values):
    parameters = template.get("Parameters", {})
    unknown = sorted(set(values) - set(parameters))
    if unknown:
        sys.exit(f"render.py: no such parameter: {', '.join(unknown)}")
    chosen = {name: str(values.get(name, spec.get("Default", ""))) for name, spec in parameters.items()}
    conditions = template.get("Conditions", {})
    decided = {}

    def value(node):
        if isinstance(node, dict) and set(node) == {"Ref"} and node["Ref"] in chosen:
            return chosen[node["Ref"]]
        if isinstance(node, (str, int, float)) and not isinstance(node, bool):
            return str(node)
        sys.exit(f"render.py: cannot compare {json.dumps(node)} in a condition")

    def holds(expr):
        (function, args), = expr.items()
        if function == "Condition":
            return condition(args)
        if function == "Fn::Equals":
            return value(args[0]) == value(args[1])
        if function == "Fn::Not":
            return not holds(args[0])
        if function == "Fn::And":
            return all(holds(a) for a in args)
        if function == "Fn::Or":
            return any(holds(a) for a in args)
        sys.exit(f"render.py: unknown condition function {function}")

    def condition(name):
        if name not in decided:
            decided[name] = holds(conditions[name])
        return decided[name]

    def resolve(node):
        if isinstance(node, dict):
            if set(node) == {"Fn::If"}:
                name, then, otherwise = node["Fn::If"]
                return resolve(then if condition(name) else otherwise)
            if node == {"Ref": "AWS::NoValue"}:
                return NO_VALUE
            out = {}
            for key, item in node.items():
                item = resolve(item)
                if item is not NO_VALUE:
                    out[str(key)] = item
            return out
        if isinstance(node, list):
            return [item for item in map(resolve, node) if item is not NO_VALUE]
        return node

    def kept(section):
        out = {}
        for name, item in template.get(section, {}).items():
            if "Condition" in item and not condition(item["Condition"]):
                continue
            out[str(name)] = resolve({k: v for k, v in item.items() if k != "Condition"})
        return out

    rendered = {}
    for section, item in template.items():
        if section in ("Rules", "Conditions"):
            continue
        if section in ("Resources", "Outputs"):
            rendered[section] = kept(section)
        elif section == "Parameters":
            rendered[section] = {
                name: {**resolve(spec), "Default": values[name]} if name in values else resolve(spec)
                for name, spec in item.items()
            }
        else:
            rendered[str(section)] = resolve(item)
    return rendered


def main(argv):
    if len(argv) < 2 or any("=" not in a for a in argv[2:]):
        sys.exit(__doc__.split("\n\n")[1])
    with open(argv[1], encoding="utf-8") as f:
        template, problems = decode_str(f.read())
    if problems:
        sys.exit(f"render.py: {argv[1]} does not parse: {problems[0]}")
    values = dict(a.split("=", 1) for a in argv[2:])
    json.dump(render(template, values), sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main(sys.argv)
