"""Fixes: typed edits that findings propose (:mod:`redline.fix.edits`), the platform- and engine-aware
pieces rules build them from (:mod:`redline.fix.build`), and the engine that writes them into the user's
own files after validating them."""
