#!/usr/bin/env python3
"""Regenerate the Glue tables of infra/template.yaml from the program's schema.

Reads the JSON that `entra-archive datasets --glue` prints
({"<dataset>": [["<column>", "<hive type>"], ...], ...}; `raw` included, the
partition key `date` not) from a file argument or stdin, and rewrites the
region of the template between the BEGIN/END marker comments with one
AWS::Glue::Table per dataset: Parquet SerDe, partition key `date` with
partition projection, Columns exactly as given. Output is deterministic
(datasets sorted by name, columns in the program's order).

    cargo run -q --bin entra-archive -- datasets --glue | python3 infra/glue.py
    cargo run -q --bin entra-archive -- datasets --glue | python3 infra/glue.py --check

--check writes nothing and exits 1 if the template is not what the schema
gives (CI). Only the Python standard library is needed; PyYAML, if present,
is used to prove every scalar written reads back as the same string.
"""

import argparse
import json
import re
import sys
from pathlib import Path

BEGIN = "  # BEGIN GENERATED GLUE TABLES (infra/glue.py)"
END = "  # END GENERATED GLUE TABLES"
TEMPLATE = Path(__file__).resolve().parent / "template.yaml"

PARTITION_KEY = "date"
SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Hive types as the program writes them: identifiers, <>, :, commas, parentheses.
HIVE_TYPE = re.compile(r"^[a-z][a-z0-9_<>:,()]*$")


def fail(message):
    print(f"glue.py: {message}", file=sys.stderr)
    sys.exit(2)


def load_schema(text):
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as e:
        fail(f"the schema is not JSON ({e}); expected the output of `entra-archive datasets --glue`")
    if not isinstance(schema, dict) or not schema:
        fail("expected a JSON object {dataset: [[column, type], ...]}")
    for dataset, columns in schema.items():
        if not NAME.match(dataset):
            fail(f"dataset name {dataset!r} is not a lower-case identifier")
        if not isinstance(columns, list) or not columns:
            fail(f"{dataset}: expected a non-empty list of [column, type] pairs")
        seen = set()
        for pair in columns:
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
                fail(f"{dataset}: {pair!r} is not a [column, type] pair")
            column, hive_type = pair
            if not NAME.match(column):
                fail(f"{dataset}: column name {column!r} is not a lower-case identifier")
            if column == PARTITION_KEY:
                fail(f"{dataset}: column {column!r} clashes with the partition key")
            if column in seen:
                fail(f"{dataset}: column {column!r} appears twice")
            if not HIVE_TYPE.match(hive_type):
                fail(f"{dataset}.{column}: unexpected type {hive_type!r}")
            seen.add(column)
    return schema


def logical_id(dataset):
    return "GlueTable" + "".join(part.capitalize() for part in dataset.split("_"))


def render(schema):
    """The generated region, markers included, as text."""
    out = [
        BEGIN,
        "  # Do not edit by hand. One table per dataset, columns exactly as the program writes them:",
        "  #   cargo run -q --bin entra-archive -- datasets --glue | python3 infra/glue.py",
    ]
    for dataset in sorted(schema):
        location = f"s3://${{ArchiveBucket}}/${{ArchivePrefix}}/{dataset}/"
        out += [
            f"  {logical_id(dataset)}:",
            "    Type: AWS::Glue::Table",
            "    Properties:",
            "      CatalogId: !Ref AWS::AccountId",
            "      DatabaseName: !Ref GlueDatabase",
            "      TableInput:",
            f"        Name: {dataset}",
            f"        Description: Entra ID {dataset} archived by entra-archive (Parquet, zstd), partitioned by UTC day",
            "        TableType: EXTERNAL_TABLE",
            "        Parameters:",
            "          EXTERNAL: 'TRUE'",
            "          classification: parquet",
            "          parquet.compression: ZSTD",
            "          projection.enabled: 'true'",
            f"          projection.{PARTITION_KEY}.type: date",
            f"          projection.{PARTITION_KEY}.format: yyyy-MM-dd",
            f"          projection.{PARTITION_KEY}.range: '2020-01-01,NOW'",
            f"          projection.{PARTITION_KEY}.interval: '1'",
            f"          projection.{PARTITION_KEY}.interval.unit: DAYS",
            f"          storage.location.template: !Sub '{location}{PARTITION_KEY}=${{!{PARTITION_KEY}}}/'",
            "        PartitionKeys:",
            f"          - Name: {PARTITION_KEY}",
            "            Type: date",
            "        StorageDescriptor:",
            f"          Location: !Sub '{location}'",
            f"          InputFormat: {INPUT_FORMAT}",
            f"          OutputFormat: {OUTPUT_FORMAT}",
            "          SerdeInfo:",
            f"            SerializationLibrary: {SERDE}",
            "            Parameters:",
            "              serialization.format: '1'",
            "          Columns:",
        ]
        for column, hive_type in schema[dataset]:
            out += [f"            - Name: {column}", f"              Type: {hive_type}"]
    out.append(END)
    text = "\n".join(out) + "\n"
    prove_round_trip(text, schema)
    return text


def prove_round_trip(text, schema):
    """Every name and type must read back from the YAML exactly as given."""
    try:
        import yaml
    except ImportError:
        return

    class Loader(yaml.SafeLoader):
        pass

    for tag in ("!Ref", "!Sub"):
        Loader.add_constructor(tag, lambda loader, node: loader.construct_scalar(node))
    doc = yaml.load("Resources:\n" + text, Loader=Loader)["Resources"]
    for dataset, columns in schema.items():
        table = doc[logical_id(dataset)]["Properties"]["TableInput"]
        got = [[c["Name"], c["Type"]] for c in table["StorageDescriptor"]["Columns"]]
        if table["Name"] != dataset or got != columns:
            fail(f"{dataset}: the generated YAML does not read back as the schema")


def splice(template, region):
    begin = template.find(BEGIN + "\n")
    end = template.find(END + "\n")
    if begin < 0 or end < begin or template.count(BEGIN) != 1 or template.count(END) != 1:
        fail(f"{TEMPLATE}: expected exactly one {BEGIN.strip()!r} ... {END.strip()!r} region")
    return template[:begin] + region + template[end + len(END) + 1 :]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("schema", nargs="?", help="the JSON of `entra-archive datasets --glue` (default: stdin)")
    parser.add_argument("--template", type=Path, default=TEMPLATE, help="default: infra/template.yaml")
    parser.add_argument("--check", action="store_true", help="exit 1 if the template differs; write nothing")
    args = parser.parse_args()

    text = Path(args.schema).read_text() if args.schema else sys.stdin.read()
    current = args.template.read_text()
    wanted = splice(current, render(load_schema(text)))
    if wanted == current:
        print(f"{args.template}: Glue tables match the schema")
        return 0
    if args.check:
        print(
            f"{args.template}: Glue tables differ from the program's schema; regenerate with\n"
            "  cargo run -q --bin entra-archive -- datasets --glue | python3 infra/glue.py",
            file=sys.stderr,
        )
        return 1
    args.template.write_text(wanted)
    print(f"{args.template}: Glue tables regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
