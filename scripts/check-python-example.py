"""Checks the README's Python example against the generated Python bindings (jsii-pacmak), without
installing them: it must compile, import only names the bindings define, and call their
constructors and methods with parameters they take. (The wheel and its jsii runtime come from
PyPI, which this check does not need.)

    python3 scripts/check-python-example.py README.md dist-jsii/python/src/cdk8s_prefect/__init__.py
"""
import ast
import re
import sys

readme, bindings = sys.argv[1], sys.argv[2]
blocks = re.findall(r"<!-- python-app -->\n```python\n(.*?)```\n<!-- /python-app -->", open(readme).read(), re.S)
if not blocks:
    sys.exit(f"{readme}: no <!-- python-app --> block")

# Every class of the bindings with the parameters of its methods (keyword-only ones included).
classes = {}
for node in ast.parse(open(bindings).read()).body:
    if isinstance(node, ast.ClassDef):
        methods = {}
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                args = item.args
                positional = [a.arg for a in args.posonlyargs + args.args if a.arg not in ("self", "cls")]
                methods[item.name] = (positional, positional + [a.arg for a in args.kwonlyargs])
        classes[node.name] = methods

problems = []
for number, code in enumerate(blocks, 1):
    compile(code, f"README python example {number}", "exec")
    tree = ast.parse(code)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "cdk8s_prefect":
            for alias in node.names:
                if alias.name not in classes:
                    problems.append(f"cdk8s_prefect has no {alias.name}")
                imported.add(alias.asname or alias.name)
    # Variables assigned straight from a constructor of the bindings, e.g. platform = PrefectPlatform(...).
    typed = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name) \
                and node.value.func.id in imported:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    typed[target.id] = node.value.func.id

    def check(call, cls, method):
        if method not in classes.get(cls, {}):
            problems.append(f"line {call.lineno}: {cls} has no method {method}")
            return
        positional, names = classes[cls][method]
        if len(call.args) > len(positional):
            problems.append(f"line {call.lineno}: {cls}.{method} takes {len(positional)} positional arguments, not {len(call.args)}")
        for keyword in call.keywords:
            if keyword.arg is not None and keyword.arg not in names:
                problems.append(f"line {call.lineno}: {cls}.{method} has no parameter {keyword.arg}")

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in imported:
            check(node, node.func.id, "__init__")
        elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            owner = node.func.value.id
            cls = owner if owner in imported else typed.get(owner)
            if cls:
                check(node, cls, node.func.attr)

if problems:
    sys.exit("\n".join(f"README python example: {p}" for p in problems))
print(f"README python example: {len(blocks)} block(s) compile and match the bindings ({len(classes)} classes)")
