"""Crew photos: checked by content (Pillow opens it), not by name; location and every other
metadata dropped by re-encoding; a thumbnail made; stored privately.

Phone browsers convert HEIC to JPEG on upload, so JPEG and PNG are what arrive.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts import permissions

from .models import JobPhoto

ACCEPTED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
THUMBNAIL_SIZE = (320, 320)
# A decompression bomb (a tiny file that opens as a gigantic image) is refused too.
MAX_PIXELS = 60_000_000


@dataclass
class CheckedPhoto:
    name: str
    image: Image.Image
    format: str
    size_bytes: int


def photo_check(upload) -> CheckedPhoto:
    """The upload as an image, or ValidationError with a message naming the file."""
    name = getattr(upload, "name", "photo")
    limit = settings.PHOTO_MAX_MB * 1024 * 1024
    if upload.size > limit:
        raise ValidationError(f"{name} is larger than {settings.PHOTO_MAX_MB} MB: take it again at a lower "
                              "resolution, or choose a smaller photo.")
    try:
        upload.seek(0)
        probe = Image.open(upload)
        probe.verify()  # reads the whole file: a truncated or disguised file fails here
        upload.seek(0)
        image = Image.open(upload)
        if image.format not in ACCEPTED:
            raise ValidationError(f"{name} is a {image.format} image: send a JPEG or PNG photo.")
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError(f"{name} is too large an image ({image.width} × {image.height}).")
        image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(f"{name} is not a photo we can open (JPEG or PNG).") from exc
    return CheckedPhoto(name=name, image=image, format=image.format, size_bytes=upload.size)


def _clean_bytes(image: Image.Image, fmt: str) -> bytes:
    """Re-encode the pixels only: EXIF (GPS position, camera serial), XMP and text chunks are left behind."""
    upright = ImageOps.exif_transpose(image)  # keep the orientation the phone meant, as pixels
    if fmt == "JPEG":
        upright = upright.convert("RGB")
    else:
        transparent = "A" in upright.getbands() or "transparency" in upright.info
        upright = upright.convert("RGBA" if transparent else "RGB")
    pixels = Image.new(upright.mode, upright.size)  # a fresh image carries no metadata at all
    pixels.paste(upright)
    out = io.BytesIO()
    if fmt == "JPEG":
        pixels.save(out, "JPEG", quality=85, optimize=True)
    else:
        pixels.save(out, "PNG", optimize=True)
    return out.getvalue()


def _thumbnail_bytes(image: Image.Image) -> bytes:
    thumb = ImageOps.exif_transpose(image).convert("RGB")
    thumb.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=75)
    return out.getvalue()


def photos_check(files) -> list[CheckedPhoto]:
    """Every upload checked; one message per bad file, all at once."""
    checked, errors = [], []
    for upload in files:
        try:
            checked.append(photo_check(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return checked


def photos_save(*, job, photos: list[CheckedPhoto], stage: str, by) -> list[JobPhoto]:
    """Store checked photos for the job (call inside the transaction of the step they belong to)."""
    saved = []
    for photo in photos:
        content_type, extension = ACCEPTED[photo.format]
        stem = uuid.uuid4().hex
        record = JobPhoto(job=job, content_type=content_type, width=photo.image.width, height=photo.image.height,
                          size_bytes=photo.size_bytes, stage=stage, uploaded_by=permissions.actor_user(by))
        record.image.save(f"{stem}.{extension}", ContentFile(_clean_bytes(photo.image, photo.format)), save=False)
        record.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(_thumbnail_bytes(photo.image)), save=False)
        record.save()
        saved.append(record)
    return saved
