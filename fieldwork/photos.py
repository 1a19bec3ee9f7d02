"""The diary's optional photo: checked, re-encoded and kept private (docs/privacy.md).

A phone's photo carries EXIF metadata — the GPS position where it was taken, the time, the phone's
make and serial. None of that is wanted: the photo is decoded and a fresh JPEG is written from its
pixels alone (at most ``MAX_SIDE`` px a side), so nothing of the original file survives but the
picture. Files live under ``settings.PRIVATE_MEDIA_ROOT``, never under the static files, and are read
only through views that check who asks (fieldwork/views_diary.py).
"""

import io
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE = 1600
QUALITY = 82
# Formats a phone's camera or gallery gives; anything else is refused before decoding.
FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# A decompression bomb (a small file that decodes to gigapixels) is refused, not decoded.
MAX_PIXELS = 50_000_000
SUBDIR = "diary"


def clean_upload(upload):
    """The re-encoded JPEG bytes of an uploaded photo, or ValidationError saying what is wrong."""
    limit = settings.DIARY_PHOTO_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The photo is %(size).1f MB; at most %(max).0f MB is accepted. Choose a smaller photo.")
            % {"size": upload.size / 1024 / 1024, "max": limit / 1024 / 1024}
        )
    not_image = _("The file is not a photo (JPEG, PNG or WebP). Choose a photo from the phone's gallery.")
    try:
        upload.seek(0)
        with Image.open(upload, formats=sorted(FORMATS)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("The photo is too large in pixels. Choose a smaller photo."))
            probe.verify()  # a truncated or forged file fails here
        upload.seek(0)
        with Image.open(upload, formats=sorted(FORMATS)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)  # keep the picture upright once EXIF is gone
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            rgb = image.convert("RGB")
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(not_image) from None
    # A new image holds the pixels only: no EXIF, GPS, ICC, comments or other chunks are carried.
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def root():
    return Path(settings.PRIVATE_MEDIA_ROOT)


def store(data):
    """Write re-encoded bytes under a random name; returns the stored name (the model's ``photo``)."""
    name = f"{SUBDIR}/{uuid.uuid4().hex}.jpg"
    path = root() / name
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_bytes(data)
    path.chmod(0o600)
    return name


def path_of(name):
    """The file of a stored name, or None for a name that would leave the media directory."""
    if not name:
        return None
    base = root().resolve()
    path = (base / name).resolve()
    return path if path.is_relative_to(base) and path.is_file() else None


def delete(name):
    path = path_of(name)
    if path is not None:
        path.unlink(missing_ok=True)
