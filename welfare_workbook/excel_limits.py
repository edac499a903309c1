"""What Excel holds, counted as Excel counts (UTF-16 code units): facts about the file
format, shared by the writer (which refuses more) and the master check (which points
at the master cell that would not fit)."""

from __future__ import annotations


# Excel's limits ("Excel specifications and limits"), in UTF-16 code units
CELL_TEXT_LIMIT = 32_767  # characters in a cell
SHEET_NAME_LIMIT = 31
HEADER_FOOTER_LIMIT = 255  # a header or footer, its &-codes included
VALIDATION_TITLE_LIMIT = 32  # title of a validation's input message or error alert
VALIDATION_MESSAGE_LIMIT = 255  # the input message or error alert itself
FORMULA_LIMIT = 8_192  # characters of a formula
NUMBER_LIMIT = 9.99999999999999e307  # the largest number a cell holds


def utf16_length(text: str) -> int:
    """Length as Excel counts it: UTF-16 code units (a character beyond U+FFFF counts 2).

    >>> utf16_length("𠮷野家"), len("𠮷野家")
    (4, 3)
    """
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 code units; a surrogate pair is never split.

    >>> clip("𠮷野家", 2), clip("𠮷野家", 1), clip("abc", 5)
    ('𠮷', '', 'abc')
    """
    if len(text) <= limit and utf16_length(text) <= limit:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text
