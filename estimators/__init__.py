"""Built-in estimator plugins of mibench, one module (or package) per family.

They register through the ``mibench.estimators`` entry-point group, exactly as a third-party
package would; the engine never imports them directly.
"""
