"""Open every layer of a GeoPackage in QGIS (headless) with its default style, and print what QGIS shows
as JSON: run by the system's Python, which has PyQGIS (Debian's python3-qgis), from tests/test_gis.py.

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_layers.py findings.gpkg
"""

import json
import sys

from qgis.core import Qgis, QgsApplication, QgsVectorLayer


def describe(path: str, name: str) -> dict:
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    message, loaded = layer.loadDefaultStyle()
    renderer = layer.renderer()
    categories = [str(c.value()) for c in renderer.categories()] if hasattr(renderer, "categories") else []
    attribute = renderer.classAttribute() if hasattr(renderer, "classAttribute") else None
    return {"valid": layer.isValid(), "features": layer.featureCount(), "style_loaded": loaded,
            "message": message, "renderer": renderer.type(), "attribute": attribute, "categories": categories}


def main() -> None:
    path, names = sys.argv[1], sys.argv[2:]
    app = QgsApplication([], False)
    app.initQgis()
    try:
        print(json.dumps({"qgis": Qgis.QGIS_VERSION, "layers": {n: describe(path, n) for n in names}}))
    finally:
        app.exitQgis()


if __name__ == "__main__":
    main()
