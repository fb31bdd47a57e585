"""The model's life cycle: `train` (fine-tune or train from scratch, offline), `scores` (how well
weights find what they should, scored by Ultralytics or the way `scan` sees photos) and `card`
(the model card beside the weights). With `detect/`, the only code that imports Ultralytics."""
