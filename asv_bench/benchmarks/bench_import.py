"""asv benchmark of ``import skfusion`` (target: under 0.5 s)."""


class Import:
    def timeraw_import_skfusion(self):
        return "import skfusion"

    def timeraw_first_estimator_access(self):
        # Loads scikit-learn: the cost moves to the first use of an estimator.
        return "import skfusion; skfusion.WeightedBlender"
