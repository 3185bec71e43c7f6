"""Checks the README's Python example against the generated Python bindings (jsii-pacmak), without
installing them, as a small type check: the example must compile; every name it takes from
cdk8s_prefect must exist; every call of a class, class method or method of the bindings must pass
the parameters that exist, all that are required, and for literal arguments a string where a string
is expected and a list where a list is; class methods must be called on the class; attributes
(enum members, properties) must exist. Types flow through assignments, return annotations and
properties. (The wheel and its jsii runtime come from PyPI, which this check does not need.)

    python3 scripts/check-python-example.py README.md dist-jsii/python/src/cdk8s_prefect/__init__.py
"""
import ast
import re
import sys

MODULE = "cdk8s_prefect"
readme, bindings = sys.argv[1], sys.argv[2]
blocks = re.findall(r"<!-- python-app -->\n```python\n(.*?)```\n<!-- /python-app -->", open(readme).read(), re.S)
if not blocks:
    sys.exit(f"{readme}: no <!-- python-app --> block")


class Signature:
    def __init__(self, function, kind):
        args = function.args
        positional = [a for a in args.posonlyargs + args.args if a.arg not in ("self", "cls")]
        first_default = len(positional) - len(args.defaults)
        self.kind = kind
        self.positional = [a.arg for a in positional]
        self.required = {a.arg for i, a in enumerate(positional) if i < first_default}
        self.required |= {a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None}
        self.annotations = {a.arg: ast.unparse(a.annotation) if a.annotation else "" for a in positional + args.kwonlyargs}
        self.names = set(self.annotations)
        self.returns = ast.unparse(function.returns) if function.returns else ""


classes = {}
bases = {}
for node in ast.parse(open(bindings).read()).body:
    if not isinstance(node, ast.ClassDef):
        continue
    bases[node.name] = " ".join(ast.unparse(b) for b in node.bases)
    members = {}
    for item in node.body:
        if isinstance(item, ast.FunctionDef):
            decorators = {ast.unparse(d) for d in item.decorator_list}
            kind = "class" if {"builtins.classmethod", "classmethod", "builtins.staticmethod", "staticmethod"} & decorators \
                else "property" if {"builtins.property", "property"} & decorators else "instance"
            members.setdefault(item.name, Signature(item, kind))
        elif isinstance(item, ast.Assign):
            for target in item.targets:
                if isinstance(target, ast.Name):
                    members[target.id] = "attribute"
    classes[node.name] = members


def class_in(annotation):
    """The class of the bindings an annotation names, if it names exactly one."""
    named = [n for n in re.findall(r"['\"](\w+)['\"]", annotation) if n in classes]
    return named[0] if len(set(named)) == 1 else None


problems = []
for number, code in enumerate(blocks, 1):
    compile(code, f"README python example {number}", "exec")
    tree = ast.parse(code)
    names = {}      # name -> ("class", C) | ("module", None) | ("instance", C)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == MODULE:
            for alias in node.names:
                if alias.name not in classes:
                    problems.append(f"line {node.lineno}: {MODULE} has no {alias.name}")
                names[alias.asname or alias.name] = ("class", alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == MODULE:
                    names[alias.asname or alias.name] = ("module", None)

    def type_of(expr):
        """("class" | "instance", class name) of an expression, or None when it is not the bindings'."""
        if isinstance(expr, ast.Name):
            found = names.get(expr.id)
            return found if found and found[0] != "module" else None
        if isinstance(expr, ast.Attribute):
            if isinstance(expr.value, ast.Name) and names.get(expr.value.id, ("",))[0] == "module":
                if expr.attr not in classes:
                    problems.append(f"line {expr.lineno}: {MODULE} has no {expr.attr}")
                    return None
                return ("class", expr.attr)
            owner = type_of(expr.value)
            if not owner:
                return None
            member = classes[owner[1]].get(expr.attr)
            if member is None:
                problems.append(f"line {expr.lineno}: {owner[1]} has no attribute {expr.attr}")
                return None
            if member == "attribute":
                return ("instance", owner[1])
            if member.kind == "property":
                returned = class_in(member.returns)
                return ("instance", returned) if returned else None
            return ("method", (owner, expr.attr))
        if isinstance(expr, ast.Call):
            callee = expr.func
            target = type_of(callee)
            if target is None:
                return None
            if target[0] == "class":
                check(expr, target[1], "__init__")
                return ("instance", target[1])
            if target[0] == "method":
                (kind, cls), method = target[1]
                signature = classes[cls][method]
                if kind == "class" and signature.kind == "instance":
                    problems.append(f"line {expr.lineno}: {cls}.{method} is a method of instances, not of the class")
                check(expr, cls, method)
                returned = class_in(signature.returns)
                return ("instance", returned) if returned else None
            problems.append(f"line {expr.lineno}: an instance of {target[1]} is not callable")
        return None

    def check(call, cls, method):
        signature = classes[cls].get(method)
        if not isinstance(signature, Signature):
            problems.append(f"line {call.lineno}: {cls} has no method {method}")
            return
        where = f"line {call.lineno}: {cls}.{method}"
        if len(call.args) > len(signature.positional):
            problems.append(f"{where} takes {len(signature.positional)} positional arguments, not {len(call.args)}")
        given = dict(zip(signature.positional, call.args))
        for keyword in call.keywords:
            if keyword.arg is None:
                continue
            if keyword.arg not in signature.names:
                problems.append(f"{where} has no parameter {keyword.arg}")
            given[keyword.arg] = keyword.value
        for missing in sorted(signature.required - set(given)):
            problems.append(f"{where} needs {missing}")
        for name, value in given.items():
            annotation = signature.annotations.get(name, "")
            wants_list = "typing.Sequence" in annotation or "typing.List" in annotation
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and wants_list:
                problems.append(f"{where}: {name} is {annotation}, not a string")
            if isinstance(value, (ast.List, ast.Tuple)) and annotation.replace("typing.Optional[", "").rstrip("]") == "builtins.str":
                problems.append(f"{where}: {name} is a string, not a list")
            wanted = class_in(annotation)
            for element in (value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]):
                got = type_of(element) if isinstance(element, (ast.Call, ast.Name, ast.Attribute)) else None
                if wanted and got and got[0] == "instance" and got[1] != wanted and not is_subclass(got[1], wanted):
                    problems.append(f"{where}: {name} takes {wanted}, not {got[1]}")

    def is_subclass(cls, base):
        seen = set()
        while cls and cls not in seen:
            if cls == base:
                return True
            seen.add(cls)
            parents = [b.split(".")[-1].strip('"') for b in bases.get(cls, "").split()]
            cls = next((p for p in parents if p in classes), None)
        return False

    # Every name the example reads is bound: imported, assigned or a builtin.
    bound = set(names) | set(dir(__builtins__))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound:
            problems.append(f"line {node.lineno}: {node.id} is not imported or assigned")

    # Statements in order, so that assignments give names their types before they are used.
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            found = type_of(statement.value)
            for target in statement.targets:
                if isinstance(target, ast.Name) and found and found[0] == "instance":
                    names[target.id] = found
        elif isinstance(statement, ast.Expr):
            type_of(statement.value)

if problems:
    sys.exit("\n".join(f"README python example: {p}" for p in sorted(set(problems))))
print(f"README python example: {len(blocks)} block(s) compile and type-check against the bindings ({len(classes)} classes)")
