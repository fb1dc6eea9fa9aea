"""schemathesis hooks for deploy/contract-test.sh.

1. `application/x-ndjson` (the historical import): the document describes the body as an array of
   `ImportLine` objects sent as JSON Lines; schemathesis has no serializer for that media type.
2. Rules the schema cannot state, taught to the generator for *positive* cases only (negative
   cases stay as generated): a resident ID number's check character and birth date (GB 11643,
   stated in the `id_card` description).
"""
import datetime
import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(context, value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    items = value if isinstance(value, list) else [value]
    return ("\n".join(json.dumps(item, ensure_ascii=False) for item in items) + "\n").encode("utf-8", "surrogatepass")


WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"


def valid_id_card(generated: str) -> str:
    """The generated 17 digits with a real birth date (digits 7-14) and the right check character."""
    digits = [c for c in generated if c.isdigit()][:17]
    digits += ["0"] * (17 - len(digits))
    region = "".join(digits[:6])
    try:
        datetime.date(int("".join(digits[6:10])), int("".join(digits[10:12])), int("".join(digits[12:14])))
        birth = "".join(digits[6:14])
    except ValueError:
        birth = "19900307"
    body = region + birth + "".join(digits[14:17])
    return body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS)) % 11]


def _fix_id_cards(value):
    if isinstance(value, dict):
        card = value.get("id_card")
        if isinstance(card, str) and card.strip():
            value["id_card"] = valid_id_card(card)
    elif isinstance(value, list):
        for item in value:
            _fix_id_cards(item)


@schemathesis.hook
def before_call(context, case, **kwargs):
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    if mode is not None and getattr(mode, "is_positive", False):
        _fix_id_cards(case.body)
