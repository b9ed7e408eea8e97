"""Arabic number words: the cardinals, hundreds, scales, duals and fractions a news text counts with.

One list for every part of rawi that asks "does this text hold a number?" (which sentence answers
"كم", which span of it is the number). The hundreds are written as one word (ثلاثمائة، سبعمئة),
the duals of the scales stand alone (مليونان، ألفين), and fractions answer "how many" too
(ثلثا السكان). Normalised as `core.arabic.normalize` folds text. It gives no values: the claim
checker, which compares values, keeps its own table of them.
"""

from __future__ import annotations

from core.arabic import word_set

_UNITS = "واحد واحدة اثنان اثنين اثنتين اثنتان ثلاث ثلاثة أربع أربعة خمس خمسة ست ستة سبع سبعة ثمان ثماني ثمانية تسع تسعة"
_TENS = ("عشر عشرة عشرات عشرين عشرون ثلاثين ثلاثون أربعين أربعون خمسين خمسون ستين ستون سبعين سبعون "
         "ثمانين ثمانون تسعين تسعون")
_HUNDREDS = "مئة مائة مئات مئتي مئتين مائتي مائتين مئتان مائتان مئتا مائتا ثلثمائة " + " ".join(
    f"{unit}{hundred}" for unit in ("ثلاث", "أربع", "خمس", "ست", "سبع", "ثمان", "ثماني", "تسع")
    for hundred in ("مئة", "مائة"))
_SCALES = ("ألف ألفا ألفي ألفين ألفان آلاف ألوف مليون مليونا مليوني مليونين مليونان ملايين مليار مليارا ملياري "
           "مليارين ملياران مليارات ترليون تريليون")
_FRACTIONS = "نصف ربع ثلث ثلثا ثلثي أرباع أثلاث أخماس أعشار ضعف"

SCALES = word_set(_SCALES)  # what may follow a number and multiply it ("300 مليون")
NUMBER_WORDS = word_set(f"{_UNITS} {_TENS} {_HUNDREDS} {_SCALES} {_FRACTIONS}")
