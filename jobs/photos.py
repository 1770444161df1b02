"""Crew photos: checked by content (Pillow opens it), not by name; location and every other
metadata dropped by re-encoding; a thumbnail made; stored privately.

Phone browsers convert HEIC to JPEG on upload, so JPEG and PNG are what arrive.

Memory: a small file can open as a gigantic image (an 83 KB PNG of 7745 x 7745 pixels decodes
to 180 MB, and each copy made while cleaning it as much again). So the pixel count is read
from the header and checked before anything is decoded (``PHOTO_MAX_MEGAPIXELS``), Pillow's
own decompression-bomb guard is turned into an error, a request carries a bounded number of
files and bytes (``PHOTO_MAX_FILES``, ``PHOTO_MAX_TOTAL_MB``), and what is stored is scaled
down to ``PHOTO_DISPLAY_MAX_EDGE`` pixels on its long side (JPEGs are decoded at the smaller
scale to begin with).
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts import permissions

from .models import JobPhoto

ACCEPTED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
THUMBNAIL_SIZE = (320, 320)


def max_pixels() -> int:
    return int(settings.PHOTO_MAX_MEGAPIXELS * 1_000_000)


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
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it: here every bomb is an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            probe = Image.open(upload)  # reads the header only: size and format, no pixels
            _check_header(name, probe)
            probe.verify()  # reads the whole file: a truncated or disguised file fails here
            upload.seek(0)
            image = Image.open(upload)
            _check_header(name, image)
            if image.format == "JPEG":
                # Decode at the scale it will be stored at: a 40 MP JPEG never occupies 40 MP of memory.
                edge = settings.PHOTO_DISPLAY_MAX_EDGE
                image.draft("RGB", (edge, edge))
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(f"{name} has more pixels than a photo needs: at most "
                              f"{settings.PHOTO_MAX_MEGAPIXELS:g} megapixels.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(f"{name} is not a photo we can open (JPEG or PNG).") from exc
    return CheckedPhoto(name=name, image=image, format=image.format, size_bytes=upload.size)


def _check_header(name: str, image: Image.Image) -> None:
    if image.format not in ACCEPTED:
        raise ValidationError(f"{name} is a {image.format} image: send a JPEG or PNG photo.")
    if image.width * image.height > max_pixels():
        raise ValidationError(
            f"{name} is too large an image ({image.width} × {image.height} pixels): at most "
            f"{settings.PHOTO_MAX_MEGAPIXELS:g} megapixels. Take it again at a lower resolution.")


def _clean_bytes(image: Image.Image, fmt: str) -> bytes:
    """Re-encode the pixels only: EXIF (GPS position, camera serial), XMP and text chunks are left behind."""
    upright = ImageOps.exif_transpose(image)  # keep the orientation the phone meant, as pixels
    edge = settings.PHOTO_DISPLAY_MAX_EDGE
    if max(upright.size) > edge:
        upright.thumbnail((edge, edge))  # in place, keeping the proportions
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
    """Every upload checked; one message per bad file, all at once. Too many files, or too many
    bytes together, are refused before any is opened."""
    if len(files) > settings.PHOTO_MAX_FILES:
        raise ValidationError(f"At most {settings.PHOTO_MAX_FILES} photos at once: {len(files)} were chosen. "
                              "Send the rest in another go.")
    if sum(upload.size for upload in files) > settings.PHOTO_MAX_TOTAL_MB * 1024 * 1024:
        raise ValidationError(f"These photos come to more than {settings.PHOTO_MAX_TOTAL_MB} MB together: "
                              "send fewer at once.")
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
        clean = _clean_bytes(photo.image, photo.format)
        with Image.open(io.BytesIO(clean)) as stored:
            width, height = stored.size
        record = JobPhoto(job=job, content_type=content_type, width=width, height=height,
                          size_bytes=photo.size_bytes, stage=stage, uploaded_by=permissions.actor_user(by))
        record.image.save(f"{stem}.{extension}", ContentFile(clean), save=False)
        record.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(_thumbnail_bytes(photo.image)), save=False)
        record.save()
        saved.append(record)
    return saved
