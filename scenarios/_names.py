"""Registered names of the built-in scenarios (mirrors the ``mibench.scenarios`` entry points
in pyproject.toml; used as a fallback when the package metadata is stale and by the tests)."""

BUILTIN_SCENARIOS = {
    "gaussian-correlated": "scenarios.gaussian:GaussianCorrelated",
    "gaussian-independent": "scenarios.gaussian:GaussianIndependent",
    "multinormal-dense": "scenarios.multivariate_normal:MultinormalDense",
    "multinormal-sparse": "scenarios.multivariate_normal:MultinormalSparse",
    "multinormal-lvm": "scenarios.multivariate_normal:MultinormalLVM",
    "multinormal-pairs": "scenarios.multivariate_normal:MultinormalPairs",
    "student-t": "scenarios.student_t:StudentT",
    "additive-uniform": "scenarios.uniform_noise:AdditiveUniform",
    "gamma-exponential": "scenarios.gmm_paper:GammaExponential",
    "weinman-exponential": "scenarios.gmm_paper:WeinmanExponential",
    "gmm-synthetic": "scenarios.mixtures:GMMSynthetic",
    "bmi-x": "scenarios.mixtures:BmiX",
    "concentric-gaussians": "scenarios.mixtures:ConcentricGaussians",
    "sparse-inliers": "scenarios.mixtures:SparseInliers",
    "transformed": "scenarios.transforms:Transformed",
    "resampled": "scenarios.resample:Resampled",
    "target-mi": "scenarios.target_mi:TargetMI",
    "embedded": "scenarios.embedded:Embedded",
    "images": "scenarios.images:Images",
    "categorical-uniform": "scenarios.discrete:CategoricalUniform",
    "zero-inflated-poisson": "scenarios.discrete:ZeroInflatedPoisson",
    "categorical-gaussian": "scenarios.discrete:CategoricalGaussian",
    "symmetric-channel": "scenarios.discrete:SymmetricChannel",
    "discrete-table": "scenarios.discrete:DiscreteTable",
}
