"""Where the signature stamps go on a PDF's last page, and the signers' titles: constants
the layout code (``retention.pdf``, ``retention.archive.render``) shares with the signing
(``retention.archive.signing``) without importing pyHanko, which only signing needs."""

from __future__ import annotations

#: Where the stamps go on the last page of a volume (A4 landscape, points): one box per
#: signer (``stamp_boxes`` works them out for any page; these are its landscape answer).
STAMP_BOXES = ((60, 40, 380, 120), (440, 40, 780, 120))
#: The band at the foot of the last page the stamps take (points from the bottom edge).
STAMP_BOTTOM, STAMP_TOP = 40.0, 120.0
ROLE_TITLES = {"class_teacher": "Классный руководитель", "head": "Директор"}


def stamp_boxes(width: float, height: float, count: int) -> tuple[tuple[int, int, int, int], ...]:
    """The stamp boxes of ``count`` signers on a page ``width`` × ``height`` points, in
    the band ``STAMP_BOTTOM``–``STAMP_TOP``, right-aligned, never wider than 320 points and
    always inside the page whatever its orientation (A4 landscape: ``STAMP_BOXES``)."""
    if width > height:  # the volumes' landscape page, as its certification page lays out
        return STAMP_BOXES[-count:] if count <= len(STAMP_BOXES) else STAMP_BOXES
    margin, gap = 40.0, 15.0
    each = min(320.0, (width - 2 * margin - gap * (count - 1)) / max(count, 1))
    boxes = []
    right = width - margin
    for _ in range(count):
        boxes.append((int(right - each), int(STAMP_BOTTOM), int(right), int(STAMP_TOP)))
        right -= each + gap
    return tuple(reversed(boxes))
