"""ONNX Runtime (through skl2onnx) against the hand-written numpy serving paths.

Run: `.venv/bin/pip install skl2onnx==1.20.0 onnxruntime==1.32.0` then
`.venv/bin/python -m bench.onnx`. Neither package is a requirement: this script is the record
of why serving keeps its own numpy code.

1. Can skl2onnx convert the pipelines that are served? It prints each one's error.
2. On an equivalent heart-disease pipeline that it can convert (missing flags computed before
   the model, categories filled in before it, float32 numbers as ONNX Runtime's imputer wants),
   how far are ONNX Runtime's probabilities from scikit-learn's, and how long does one patient's
   probability with its 13 effects take each way?
"""
from __future__ import annotations

import statistics
import time
from typing import Any, Callable

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from usecases.heart_disease import HeartDisease
from usecases.heart_disease import data as heart_data
from usecases.heart_disease import model as heart_model
from usecases.occlusion import occluded
from usecases.student_score import StudentScore
from usecases.student_score import model as star_model


def median_us(call: Callable[[], Any], repeats: int = 300) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1e6


def converts(pipeline: Pipeline, frame: pd.DataFrame) -> str:
    """'yes', or skl2onnx's reason for refusing the pipeline."""
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import DoubleTensorType, StringTensorType
    types = [(c, StringTensorType([None, 1]) if frame[c].dtype == object
              else DoubleTensorType([None, 1])) for c in frame.columns]
    try:
        to_onnx(pipeline, initial_types=types, target_opset=18)
    except Exception as exc:  # skl2onnx raises several kinds; the message is the finding
        return f"no: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    return "yes"


def main() -> None:
    import onnxruntime
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    heart = HeartDisease().load_data()
    served = heart_model.fit(heart_model.candidates()["logistic regression (C=0.1)"], heart.train)
    print("skl2onnx converts the served heart-disease pipeline:",
          converts(served.pipeline, heart.train[list(heart_data.FEATURES)]))
    star = StudentScore().load_data()
    name, pipeline = next(iter(star_model.candidates().items()))
    fitted, _ = star_model.fit(pipeline, star.train, star.test)
    print(f"skl2onnx converts the served student-score pipeline ({name}):",
          converts(fitted.pipeline, star_model.to_frame(star_model.to_rows(star.test[:5]))))

    # An equivalent heart-disease pipeline in parts skl2onnx and ONNX Runtime both support.
    unknown = heart_model.UNKNOWN
    flags = [f"{c}_missing" for c in heart_data.NUMBERS if heart.train[c].isna().any()]
    columns = list(heart_data.FEATURES) + flags

    def prepared(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        for flag in flags:
            frame[flag] = frame[flag.removesuffix("_missing")].isna().astype(np.float32)
        for c in heart_data.CATEGORIES:
            frame[c] = frame[c].where(frame[c].notna(), unknown).astype(str)
        return frame[columns]

    levels = [list(v) + [unknown] for v in heart_data.CATEGORIES.values()]
    rebuilt = Pipeline([("prepare", ColumnTransformer([
        ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         list(heart_data.NUMBERS)),
        ("flags", StandardScaler(), flags),
        ("categories", OneHotEncoder(categories=levels), list(heart_data.CATEGORIES))])),
        ("classify", LogisticRegression(C=0.1, max_iter=1000))])
    rebuilt.fit(prepared(heart.train), heart.train[heart_data.TARGET])
    types = [(c, StringTensorType([None, 1]) if c in heart_data.CATEGORIES
              else FloatTensorType([None, 1])) for c in columns]
    onnx_model = to_onnx(rebuilt, initial_types=types, target_opset=18,
                         options={id(rebuilt.steps[-1][1]): {"zipmap": False}})
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(onnx_model.SerializeToString(), options,
                                           providers=["CPUExecutionProvider"])

    def feed(frame: pd.DataFrame) -> dict[str, np.ndarray]:
        return {c: frame[c].to_numpy(dtype=object if c in heart_data.CATEGORIES
                                     else np.float32).reshape(-1, 1) for c in columns}

    inputs = HeartDisease().held_out_inputs(heart.test)
    width = len(heart_data.FEATURES)

    def with_onnx(rows: list[dict[str, Any]]) -> np.ndarray:
        batch = occluded(heart_model.to_frame(rows), served.reference, width + 1,
                         heart_data.NUMBERS)
        return session.run(["probabilities"], feed(prepared(batch)))[0][:, 1]

    frame = prepared(heart_model.to_frame(inputs))
    onnx_p = session.run(["probabilities"], feed(frame))[0][:, 1]
    sklearn_p = rebuilt.predict_proba(frame)[:, 1]
    numpy_p, _ = heart_model.score(served, inputs)
    print(f"ONNX Runtime against scikit-learn on {len(inputs)} held-out patients: largest "
          f"probability difference {np.abs(onnx_p - sklearn_p).max():.1e} (float32 inputs); "
          f"the numpy path against its pipeline: "
          f"{np.abs(numpy_p - served.pipeline.predict_proba(heart_model.to_frame(inputs))[:, 1]).max():.1e}")
    one = inputs[:1]
    one_feed = feed(prepared(occluded(heart_model.to_frame(one), served.reference, width + 1,
                                      heart_data.NUMBERS)))
    print("one patient, probability and 13 effects (median of 300, microseconds):")
    print(f"  numpy serving path          {median_us(lambda: heart_model.score(served, one)):8.0f}")
    print(f"  ONNX Runtime, whole path    {median_us(lambda: with_onnx(one)):8.0f}")
    print(f"  ONNX Runtime, session.run   "
          f"{median_us(lambda: session.run(['probabilities'], one_feed)):8.0f}")


if __name__ == "__main__":
    main()
