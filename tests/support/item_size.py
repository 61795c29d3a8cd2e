"""The size DynamoDB bills an item by: a write costs 1 WRU per started KB of the larger of the item before and after.

NOTE: the rules: a name and a string are their UTF-8 bytes, a number about one byte per two significant digits plus
one, a set the sum of its members, a map or list 3 bytes plus 1 per element.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
"""

from __future__ import annotations

import math
from typing import Any


def item_size_bytes(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    [(kind, content)] = value.items()
    if kind == "S":
        return len(str(content).encode())
    if kind == "N":
        return _number_size(str(content))
    if kind == "SS":
        return sum(len(member.encode()) for member in content)
    if kind == "NS":
        return sum(_number_size(member) for member in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + _value_size(member) for name, member in content.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(member) for member in content)
    return 1  # BOOL, NULL


def _number_size(number: str) -> int:
    digits = number.lstrip("-").replace(".", "").strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1
