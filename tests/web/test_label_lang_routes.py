"""``?lang=`` on the registry's label routes, on the real assessment of the bundled image."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from assay.registry import Registry


def test_label_routes_speak_the_asked_language(
    client: TestClient, registry: Registry, wr703n_assessment: dict[str, Any]
) -> None:
    slug = registry.add(wr703n_assessment, scanned=True).product_slug
    english = client.get(f"/products/{slug}/label.json").json()
    german = client.get(f"/products/{slug}/label.json", params={"lang": "de"}).json()
    assert german.keys() == english.keys()
    assert german["text"].startswith("Sicherheitslabel für ")
    assert "Verarbeitete personenbezogene Daten: MAC addresses" in german["text"]
    assert {k: v for k, v in german.items() if k != "text"} == {
        k: v for k, v in english.items() if k != "text"
    }
    french = client.get(f"/api/v1/products/{slug}/label", params={"lang": "fr-BE"}).json()
    assert "Niveau de sécurité 0 sur 4" in french["text"]
    svg = client.get(f"/products/{slug}/label.svg", params={"lang": "it"})
    assert svg.status_code == 200 and "Livello 0 su 4" in svg.text and 'xml:lang="it"' in svg.text
    png = client.get(f"/products/{slug}/label.png", params={"lang": "nl"})
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.content != client.get(f"/products/{slug}/label.png").content
    wrong = client.get(f"/products/{slug}/label.svg", params={"lang": "xx"})
    assert wrong.status_code == 400 and "no label words in language" in wrong.text
    wrong = client.get(f"/api/v1/products/{slug}/label", params={"lang": "xx"})
    assert wrong.status_code == 400
    error = wrong.json()["error"]
    assert "no label words in language 'xx'" in error["message"]
    assert "en, de, fr, es, it, nl" in error["hint"]
    page = client.get(f"/products/{slug}").text
    assert f'href="/products/{slug}/label.png?lang=es" hreflang="es" lang="es">Español<' in page
