"""Every error code the API sends is declared once, in the ``errors`` module of the app that owns it.

Services, selectors, views, serializers and filters name codes through the apps' ``ErrorCode`` enums; a string
literal where a code is given is refused here, so a new code cannot be sent without being declared. Every 409 code
is a ``ConflictError`` subclass, which is what the schema's per-code conflict schemas are built from.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps

from api.error_codes import ApiErrorCode
from api.schema_hooks import conflict_errors
from core.errors import CoreErrorCode, DomainError, ErrorCode
from inventory.errors import InsufficientStockError
from orders.errors import OrderErrorCode

ROOT = Path(__file__).resolve().parent.parent
CODE_ARGUMENTS = {"code", "default_code", "failure_code"}
CODE_MODULES = ("errors", "error_codes")


def _project_packages() -> list[str]:
    return sorted(config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT)


def _code_modules() -> list[str]:
    found = []
    for package in _project_packages():
        for module in CODE_MODULES:
            if (ROOT / package / f"{module}.py").exists():
                found.append(f"{package}.{module}")
    return found


def _declared_enums() -> list[type[ErrorCode]]:
    for module in _code_modules():
        importlib.import_module(module)
    enums: list[type[ErrorCode]] = []
    pending = list(ErrorCode.__subclasses__())
    while pending:
        enum = pending.pop()
        pending.extend(enum.__subclasses__())
        enums.append(enum)
    return enums


def _domain_errors() -> list[type[DomainError]]:
    for module in _code_modules():
        importlib.import_module(module)
    found: list[type[DomainError]] = []
    pending = list(DomainError.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        found.append(cls)
    return found


def _sources() -> Iterator[Path]:
    for package in _project_packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                yield path


def _has_string(node: ast.AST) -> bool:
    """A non-empty string literal, an f-string, or either as an operand of ``or`` / ``… if … else …``."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value != ""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BoolOp):
        return any(_has_string(value) for value in node.values)
    if isinstance(node, ast.IfExp):
        return _has_string(node.body) or _has_string(node.orelse)
    return False


def literal_codes(source: str) -> list[int]:
    """Lines where ``source`` gives an error code as a string literal instead of through an ``ErrorCode`` enum."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg in CODE_ARGUMENTS and _has_string(node.value):
            lines.append(node.value.lineno)
        elif isinstance(node, ast.ClassDef):
            for statement in node.body:
                targets = (
                    statement.targets
                    if isinstance(statement, ast.Assign)
                    else [statement.target]
                    if isinstance(statement, ast.AnnAssign)
                    else []
                )
                value = getattr(statement, "value", None)
                if (
                    value is not None
                    and any(isinstance(t, ast.Name) and t.id in CODE_ARGUMENTS for t in targets)
                    and _has_string(value)
                ):
                    lines.append(statement.lineno)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "code" and _has_string(value):
                    lines.append(value.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and len(node.args) == 2
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "code"
            and _has_string(node.args[1])
        ):
            lines.append(node.lineno)
    return sorted(lines)


@pytest.mark.parametrize(
    "source",
    [
        'raise DomainError("No.", code="made_up")',
        'raise ConflictError("No.", code=f"made_{up}")',
        'class E(DomainError):\n    code = "made_up"',
        'class E(DomainError):\n    code: str = "made_up"',
        'class E(APIException):\n    default_code = "made_up"',
        'pay(failure_code=result.failure_code or "made_up")',
        'raise DomainError("No.", code="made_up" if late else OrderErrorCode.EMPTY_ORDER)',
        'JsonResponse({"errors": [{"code": "made_up"}]})',
        'detail.get("code", "made_up")',
    ],
)
def test_the_scan_finds_a_literal_code(source: str) -> None:
    assert literal_codes(source)


def test_the_scan_accepts_codes_named_through_their_enum() -> None:
    source = (
        "raise DomainError('No.', code=OrderErrorCode.EMPTY_ORDER, attr='items')\n"
        "class E(DomainError):\n    code = OrderErrorCode.EMPTY_ORDER\n    default_detail = 'No.'\n"
        "JsonResponse({'errors': [{'code': ApiErrorCode.NULL_CHARACTER, 'detail': 'No.'}]})\n"
        # A field or a schema property called `code` is not a code, nor is an empty default.
        "class S(Serializer):\n    code = CharField(help_text='e.g. `not_found`')\n"
        "SCHEMA = {'code': {'type': 'string', 'enum': [code]}}\n"
        "@dataclass\nclass Result:\n    failure_code: str = ''\n"
    )
    assert literal_codes(source) == []


def test_no_code_is_a_string_literal_outside_its_declaration() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _sources()
        if path.stem not in CODE_MODULES
        for line in literal_codes(path.read_text())
    ]
    assert found == [], "name these codes through their app's ErrorCode enum (declare new ones there)"


def test_every_code_is_declared_once_in_an_errors_module() -> None:
    enums = _declared_enums()
    assert {CoreErrorCode, ApiErrorCode, OrderErrorCode} <= set(enums)
    assert len(enums) >= 9
    owners: dict[str, list[str]] = {}
    for enum in enums:
        assert enum.__module__.rsplit(".", 1)[-1] in CODE_MODULES, enum
        for member in enum:
            owners.setdefault(member.value, []).append(f"{enum.__name__}.{member.name}")
    assert {code: names for code, names in owners.items() if len(names) > 1} == {}


def test_every_domain_error_is_declared_in_an_errors_module_with_a_declared_code() -> None:
    errors = _domain_errors()
    assert InsufficientStockError in errors
    declared = {member for enum in _declared_enums() for member in enum}
    for error in errors:
        assert error.__module__.rsplit(".", 1)[-1] in CODE_MODULES, error
        assert isinstance(error.code, ErrorCode), error
        assert error.code in declared, error
    # Nothing subclasses a domain error elsewhere either (a module not imported above would hide it from the walk).
    names = {DomainError.__name__, *(cls.__name__ for cls in errors)}
    elsewhere = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
        for path in _sources()
        if path.stem not in CODE_MODULES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id in names for b in node.bases)
    ]
    assert elsewhere == []


def test_each_conflict_code_has_its_own_error_class() -> None:
    conflicts = conflict_errors()
    assert conflicts["insufficient_stock"] is InsufficientStockError
    declared = {member.value for enum in _declared_enums() for member in enum}
    assert set(conflicts) <= declared
    assert len({cls.__name__ for cls in conflicts.values()}) == len(conflicts)  # one schema component per code
    # A ConflictError raised with its own code would be a 409 the schema does not list.
    ad_hoc = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in _sources()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"ConflictError", *(cls.__name__ for cls in conflicts.values())}
        and any(keyword.arg == "code" for keyword in node.keywords)
    ]
    assert ad_hoc == []


def test_the_envelope_sends_codes_as_plain_strings() -> None:
    (error,) = DomainError("No.", code=OrderErrorCode.EMPTY_ORDER).as_errors()
    assert type(error["code"]) is str
    assert error["code"] == "empty_order"
