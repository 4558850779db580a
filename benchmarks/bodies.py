"""Deterministic AssignmentList bodies of any size, for the benchmarks.

The same seed and count always give the same bytes. Course names and
annotations mix scripts and lengths the way a multinational site's catalogue
does (Latin, accented Latin, Cyrillic, CJK, Arabic), and deadlines come in
every kind the API sends: an absolute `deadlineAt`, a `deadlinePeriod` in each
measure, a period next to `"deadlineAt": 0`, and none at all (field missing,
`null`, or `0`).
"""

from __future__ import annotations

import json
import random
from typing import Any, Final

SEED: Final = 20_251_203

# 2015-01-01 to 2025-01-01, in unix seconds: when courses were assigned.
_ASSIGNED_FROM: Final = 1_420_070_400
_ASSIGNED_UNTIL: Final = 1_735_689_600
_DAY: Final = 86_400

_TOPICS: Final = (
    # Latin
    ("Sales Strategy Fundamentals", "Learn essential sales strategies and techniques"),
    ("Customer Relationship Management", "Master modern CRM principles and practices"),
    ("Onboarding", "Your first week at the company"),
    ("Fire Safety", "Yearly refresher"),
    (
        "Negotiating Multi-Year Enterprise Contracts with Procurement Departments",
        "Case studies from three regions, with templates for every stage of a deal",
    ),
    # Accented Latin
    ("Gestion de projet avancée", "Planifier, suivre et clôturer un projet complexe"),
    ("Sécurité au travail", "Les règles à connaître dès le premier jour"),
    ("Führungskompetenz für Teamleiter", "Gespräche führen, Ziele vereinbaren"),
    ("Atención al cliente: nivel básico", "Técnicas de comunicación con el cliente"),
    ("Introdução à contabilidade", "Balanço, demonstração de resultados e fluxo"),
    ("Zarządzanie czasem", "Jak planować tydzień i nie gubić priorytetów"),
    # Cyrillic
    ("Основы продаж", "Ключевые техники и стратегии продаж"),
    (
        "Управление проектами для начинающих руководителей",
        "Планирование, контроль сроков и работа с командой проекта",  # noqa: RUF001
    ),
    ("Информационная безопасность", "Пароли, фишинг и защита данных компании"),
    ("Охрана труда", "Ежегодный инструктаж"),
    # CJK
    ("営業戦略の基礎", "営業の基本的な戦略と手法を学ぶ"),
    ("情報セキュリティ入門", "パスワード管理とフィッシング対策の基本"),
    ("顾客关系管理", "掌握现代客户关系管理的原则与实践"),
    ("新员工入职培训", "公司文化、制度与第一周的工作安排"),
    ("신입사원 온보딩", "회사 생활의 첫 주를 위한 안내"),
    # Arabic
    ("أساسيات استراتيجية المبيعات", "تعلم الاستراتيجيات والتقنيات الأساسية للمبيعات"),
    ("إدارة علاقات العملاء", "إتقان مبادئ وممارسات إدارة علاقات العملاء الحديثة"),
    ("السلامة المهنية", "التدريب السنوي"),
)
_MEASURES: Final = ("hours", "days", "weeks", "months")
_PERIOD_VALUES: Final = {
    "hours": (4, 24, 48, 72),
    "days": (1, 7, 14, 30),
    "weeks": (1, 2, 6),
    "months": (1, 2, 3, 12),
}


def make_assignments(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """`count` assignments as the API sends them, the same for the same seed."""
    rng = random.Random(seed)
    return [_assignment(rng, course_id) for course_id in range(1, count + 1)]


def make_body(count: int, seed: int = SEED) -> bytes:
    """An AssignmentList body of `count` assignments, all on one page, as UTF-8."""
    body = {"assignments": make_assignments(count, seed), "totalCount": count}
    # As the API and the fake site send it: UTF-8, no \\u escapes.
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _assignment(rng: random.Random, course_id: int) -> dict[str, Any]:
    assigned_at = rng.randrange(_ASSIGNED_FROM, _ASSIGNED_UNTIL)
    assignment: dict[str, Any] = {"assignedAt": assigned_at}

    kind = rng.random()
    if kind < 0.30:
        assignment["deadlineAt"] = assigned_at + rng.randrange(1, 120) * _DAY
    elif kind < 0.75:
        measure = rng.choice(_MEASURES)
        period = {"measure": measure, "value": rng.choice(_PERIOD_VALUES[measure])}
        if rng.random() < 0.2:
            assignment["deadlineAt"] = 0
        assignment["deadlinePeriod"] = period
    elif kind < 0.85:
        assignment["deadlinePeriod"] = None
    elif kind < 0.90:
        assignment["deadlineAt"] = 0
    # else: no deadline field at all, the most common way to send none.

    assignment["course"] = _course(rng, course_id, assigned_at)
    return assignment


def _course(rng: random.Random, course_id: int, assigned_at: int) -> dict[str, Any]:
    name, annotation = rng.choice(_TOPICS)
    if rng.random() < 0.4:
        name = f"{name} {rng.randrange(1, 13)}"
    if rng.random() < 0.3:
        annotation = f"{annotation}. {annotation}"

    created_at = assigned_at - rng.randrange(1, 400) * _DAY
    updated_at = created_at + rng.randrange(0, 300) * _DAY
    is_draft = rng.random() < 0.1
    course: dict[str, Any] = {
        "id": course_id,
        "name": name,
        "annotation": annotation,
        "isDraft": is_draft,
        "createdAt": created_at,
        "updatedAt": updated_at,
    }
    # A draft was never published: the API sends 0, or leaves the field out.
    if is_draft:
        if rng.random() < 0.5:
            course["publishedAt"] = 0
    else:
        course["publishedAt"] = created_at + rng.randrange(0, 30) * _DAY
    return course
