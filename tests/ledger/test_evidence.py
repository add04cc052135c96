"""Evidence: type sniffed from content, size limit, storage under the data dir."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.conf import settings as dj_settings

from duban.core import evidence_files as storage
from duban.core.actors import SystemActor
from duban.ledger import services

pytestmark = pytest.mark.django_db


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.mark.parametrize("data, ctype", [
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "application/pdf"),
    (None, "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "image/jpeg"),
    (_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
])
def test_sniffed_types_are_accepted(problem_a, png, data, ctype):
    ev = services.problem_add_evidence(actor=SystemActor("t"), skip_checks=True, problem=problem_a, name="材料", data=data or png)
    assert ev.content_type == ctype
    path = storage.LocalEvidenceStorage()._path(ev.key)
    assert path.exists() and str(path).startswith(str(dj_settings.DATA_DIR))


@pytest.mark.parametrize("data", [b"MZ\x90\x00 windows exe", b"<html><script>alert(1)</script>", b"PK\x03\x04garbage"])
def test_other_content_is_refused_whatever_the_name(problem_a, data):
    with pytest.raises(storage.EvidenceRejected, match="类型不允许"):
        services.problem_add_evidence(actor=SystemActor("t"), skip_checks=True, problem=problem_a, name="照片.jpg", data=data)
    assert problem_a.evidence.count() == 0


def test_size_limit(problem_a, png, settings):
    settings.DUBAN_EVIDENCE_MAX_BYTES = 10
    with pytest.raises(storage.EvidenceRejected, match="过大"):
        services.problem_add_evidence(actor=SystemActor("t"), skip_checks=True, problem=problem_a, name="a.png", data=png)


def test_upload_page(problem_a, png, users, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = client_for(users["liaison_a"])
    c.post(f"/ledger/{problem_a.pk}/evidence/", {"file": SimpleUploadedFile("现场.png", png)})
    c.post(f"/ledger/{problem_a.pk}/evidence/", {"file": SimpleUploadedFile("病毒.pdf", b"MZ\x90")})
    assert [e.name for e in problem_a.evidence.all()] == ["现场.png"]
    r = c.post(f"/api/problems/{problem_a.pk}/evidence", {"file": SimpleUploadedFile("b.png", png)})
    assert r.status_code == 201
    ev = problem_a.evidence.last()
    r = c.get(f"/api/problems/{problem_a.pk}/evidence/{ev.pk}")
    assert r.status_code == 200 and b"".join(r.streaming_content) == png
