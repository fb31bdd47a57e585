"""Georeferencing: from a pixel of a drone photo to a point on the ground.

Pure math on the metadata of a `Frame`; no file I/O. The stages:

    camera.intrinsics -> pose.camera_to_enu -> project.pixels_to_ground -> crs.enu_to_lonlat

`georef.georeference` ties them together into `Finding`s.
"""
