"""Checks the shipped Athena queries (queries/athena/*.sql) offline.

Usage: check_athena.py [FILE.sql ...]   (default: every queries/athena/*.sql)

Athena engine v3 speaks Trino SQL; nothing here can run it, so each query is
checked as far as a parser allows:

1. it parses with sqlglot's Trino dialect, errors raised (one statement, a query);
2. it names only the archive's tables (the datasets of docs/schema.md,
   unqualified: the workgroup's default database) and its own CTEs;
3. every column resolves against those tables (sqlglot's qualify with the
   schema of docs/schema.md), and every struct field it dereferences exists:
   the whole path for a table's struct column (`status.error_code`), the field
   name for a lambda variable or a function's result (`m.new_value`);
4. every function it calls is a Trino function from the list below (DuckDB's
   list_filter, from_json, json_extract_string, … are not), and it uses no
   DuckDB-only syntax (QUALIFY, GROUP BY ALL) and no trailing comma (which
   sqlglot forgives and Trino does not);
5. queries/athena and queries/duckdb hold the same query names.

Exits 1 naming the file and the problem; prints a one-line summary.
"""
import pathlib
import re
import sys

import sqlglot
from sqlglot import ErrorLevel, exp
from sqlglot.dialects.trino import Trino
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.tokens import TokenType

ROOT = pathlib.Path(__file__).resolve().parents[2]
QUERIES = ROOT / "queries"
SCHEMA_DOC = ROOT / "docs" / "schema.md"

# Trino (Athena engine v3) functions the queries may call. A function missing
# here fails the check: confirm it in Trino's and Athena's documentation
# (https://trino.io/docs/current/functions/list.html), then add it.
TRINO_FUNCTIONS = {
    # aggregate
    "approx_distinct", "arbitrary", "array_agg", "avg", "bool_and", "bool_or", "count", "count_if",
    "histogram", "map_agg", "max", "max_by", "min", "min_by", "sum",
    # window
    "dense_rank", "first_value", "lag", "last_value", "lead", "rank", "row_number",
    # array and map
    "all_match", "any_match", "array_distinct", "array_join", "array_max", "array_min", "array_position",
    "array_sort", "cardinality", "contains", "element_at", "filter", "flatten", "map_keys", "map_values",
    "none_match", "reduce", "sequence", "slice", "transform", "zip",
    # JSON
    "json_array_contains", "json_array_get", "json_array_length", "json_extract", "json_extract_scalar",
    "json_format", "json_parse", "json_size",
    # string and regular expressions
    "concat", "length", "lower", "ltrim", "regexp_extract", "regexp_extract_all", "regexp_like",
    "regexp_replace", "replace", "rtrim", "split", "split_part", "starts_with", "strpos", "substr", "trim",
    "upper",
    # date and time
    "date", "date_add", "date_diff", "date_format", "date_trunc", "format_datetime", "from_iso8601_timestamp",
    "to_iso8601", "to_unixtime",
    # conditional, conversion
    "cast", "coalesce", "greatest", "if", "least", "nullif", "try", "try_cast", "typeof",
}


def fail(name, message):
    print(f"check_athena: {name}: {message}", file=sys.stderr)
    sys.exit(1)


def schema_columns():
    """{dataset: [(column path, type text)]} from docs/schema.md, plus raw and date."""
    tables, current = {}, None
    for line in SCHEMA_DOC.read_text().splitlines():
        if m := re.match(r"^## `(\w+)`", line):
            current = tables.setdefault(m.group(1), [])
        elif current is not None and (m := re.match(r"^\| `([^`]+)` \| ([^|]+) \|", line)):
            current.append((m.group(1), m.group(2).strip()))
    if not tables:
        fail(SCHEMA_DOC.name, "no dataset tables found")
    for columns in tables.values():
        columns += [("raw", "VARCHAR"), ("date", "DATE")]
    return tables


def scalar(type_text):
    """A docs/schema.md scalar type as a Trino type."""
    if type_text.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    if type_text.startswith("VARCHAR"):
        return "VARCHAR"
    if type_text in ("BOOLEAN", "INTEGER", "BIGINT", "DOUBLE", "DATE"):
        return type_text
    fail(SCHEMA_DOC.name, f"unknown type {type_text!r}")


def trino_types(columns):
    """{column: Trino type} for sqlglot's schema, structs as ROW(...)."""
    root = {}
    for path, type_text in columns:
        *parents, leaf = re.split(r"\[\]\.|\.", path)
        node = root
        for parent in parents:
            node = node[parent][1]
        if type_text == "STRUCT":
            node[leaf] = ("row", {})
        elif type_text == "STRUCT[]":
            node[leaf] = ("array_row", {})
        elif type_text.endswith("[]"):
            node[leaf] = ("type", f"ARRAY({scalar(type_text[:-2])})")
        else:
            node[leaf] = ("type", scalar(type_text))

    def render(kind, value):
        if kind == "type":
            return value
        fields = ", ".join(f'"{k}" {render(*v)}' for k, v in value.items())
        return f"ROW({fields})" if kind == "row" else f"ARRAY(ROW({fields}))"

    return {name: render(*value) for name, value in root.items()}


def struct_paths(columns):
    """Every dereferenceable path of a dataset, list levels dropped: 'a.b', 'a.b.c'."""
    return {path.replace("[]", "") for path, _ in columns if "." in path}


def field_names(columns):
    """Every field name that appears inside a struct of a dataset."""
    return {re.split(r"\[\]\.|\.", path)[-1] for path, _ in columns if "." in path}


def dot_chain(node):
    """A chain of dereferences a.b.c as (base expression, [field names])."""
    fields = []
    while isinstance(node, exp.Dot):
        fields.insert(0, node.expression.name)
        node = node.this
    return node, fields


def called_functions(sql):
    """Names written before '(' that are function calls (not types after AS, not aliases)."""
    tokens = Trino().tokenize(sql)
    for i, token in enumerate(tokens[:-1]):
        if tokens[i + 1].token_type != TokenType.L_PAREN or token.token_type != TokenType.VAR:
            continue
        if i and tokens[i - 1].token_type == TokenType.ALIAS:
            continue  # AS t (a, b): an alias's column list
        yield token.text.lower()


# Tokens that cannot follow a comma; sqlglot forgives a trailing comma, Trino does not.
AFTER_COMMA_INVALID = {
    TokenType.COMMA, TokenType.R_PAREN, TokenType.FROM, TokenType.WHERE, TokenType.GROUP_BY,
    TokenType.ORDER_BY, TokenType.HAVING, TokenType.LIMIT, TokenType.UNION, TokenType.SEMICOLON,
}


def trailing_comma(sql):
    """The line of a comma followed by nothing or by a clause keyword, if any."""
    tokens = Trino().tokenize(sql)
    for i, token in enumerate(tokens):
        if token.token_type != TokenType.COMMA:
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if following is None or following.token_type in AFTER_COMMA_INVALID:
            return token.line
    return None


def check(path, tables, schema):
    name = path.name
    sql = path.read_text()
    try:
        statements = sqlglot.parse(sql, read="trino", error_level=ErrorLevel.RAISE)
    except SqlglotError as e:
        fail(name, f"does not parse as Trino SQL: {e}")
    statements = [s for s in statements if s is not None]
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        fail(name, f"expected exactly one query, found {len(statements)} statement(s)")
    query = statements[0]
    if (line := trailing_comma(sql)) is not None:
        fail(name, f"line {line}: a comma with nothing after it")

    if query.find(exp.Qualify):
        fail(name, "QUALIFY is DuckDB, not Trino: filter row_number() in a subquery")
    for group in query.find_all(exp.Group):
        if group.args.get("all") and not group.expressions:
            fail(name, "GROUP BY ALL is DuckDB, not Trino: list the grouping columns")
    for function in called_functions(sql):
        if function not in TRINO_FUNCTIONS:
            fail(name, f"{function}() is not in the list of Trino functions this check knows (see TRINO_FUNCTIONS)")

    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    datasets = {}
    for table in query.find_all(exp.Table):
        if table.name in ctes:
            continue
        if table.name not in tables:
            fail(name, f"table {table.name!r} is not a dataset ({', '.join(sorted(tables))})")
        if table.args.get("db") or table.args.get("catalog"):
            fail(name, f"table {table.sql('trino')} is qualified: use the workgroup's default database")
        datasets[table.alias_or_name] = table.name
    if not datasets:
        fail(name, "reads no dataset")

    try:
        qualified = qualify(query.copy(), schema=schema, dialect="trino", validate_qualify_columns=True)
    except SqlglotError as e:
        fail(name, f"a column does not resolve against docs/schema.md: {e}")

    read = set(datasets.values())
    paths = set().union(*(struct_paths(tables[d]) for d in read))
    fields = set().union(*(field_names(tables[d]) for d in read))
    for dot in qualified.find_all(exp.Dot):
        if isinstance(dot.parent, exp.Dot) and dot.parent.this is dot:
            continue  # an inner link of a longer chain
        base, chain = dot_chain(dot)
        if isinstance(base, exp.Column) and datasets.get(base.table) in tables:
            path = ".".join([base.name, *chain])
            if path not in struct_paths(tables[datasets[base.table]]):
                fail(name, f"{datasets[base.table]} has no field {path}")
        elif isinstance(base, exp.Column) and base.name in {p.split(".")[0] for p in paths}:
            # a struct column read through a CTE or subquery: its path must exist
            if ".".join([base.name, *chain]) not in paths:
                fail(name, f"no dataset read here has a field {'.'.join([base.name, *chain])}")
        else:
            for field in chain:
                if field not in fields:
                    fail(name, f"no struct of {', '.join(sorted(read))} has a field {field!r}")
    return len(read)


def main():
    tables = schema_columns()
    schema = {dataset: trino_types(columns) for dataset, columns in tables.items()}
    files = [pathlib.Path(a) for a in sys.argv[1:]] or sorted((QUERIES / "athena").glob("*.sql"))
    if not files:
        fail("queries/athena", "no queries found")
    if not sys.argv[1:]:
        athena = {p.stem for p in files}
        duckdb = {p.stem for p in (QUERIES / "duckdb").glob("*.sql")}
        for missing in sorted(duckdb - athena):
            fail(f"{missing}.sql", "is in queries/duckdb but not in queries/athena")
        for missing in sorted(athena - duckdb):
            fail(f"{missing}.sql", "is in queries/athena but not in queries/duckdb")
    for path in files:
        check(path, tables, schema)
    print(f"check_athena: {len(files)} Athena queries parse as Trino SQL (sqlglot {sqlglot.__version__}) "
          f"and use only the archive's tables, columns and fields")


if __name__ == "__main__":
    main()
