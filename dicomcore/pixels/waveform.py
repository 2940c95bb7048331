"""Waveform multiplex groups to arrays (PS3.3 C.10.9, PS3.5 Section 8.3).

Waveform Data (5400,1010) holds the samples of all channels interleaved: channel
1 to n of sample 1, then of sample 2, and so on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from dicomcore.dataset import Dataset

__all__ = ["waveform_array"]

# PS3.3 C.10.9.1.5: Waveform Sample Interpretation for each Waveform Bits Allocated.
_DTYPES = {
    (8, "SB"): "i1",
    (8, "UB"): "u1",
    (8, "MB"): "u1",
    (8, "AB"): "u1",
    (16, "SS"): "i2",
    (16, "US"): "u2",
    (32, "SL"): "i4",
    (32, "UL"): "u4",
    (64, "SV"): "i8",
    (64, "UV"): "u8",
}
_REQUIRED = (
    "NumberOfWaveformChannels",
    "NumberOfWaveformSamples",
    "WaveformBitsAllocated",
    "WaveformSampleInterpretation",
    "WaveformData",
)


def waveform_array(ds: Dataset, index: int, as_raw: bool = False) -> np.ndarray:
    """Multiplex group ``index`` of the (5400,0100) Waveform Sequence as an array.

    Parameters
    ----------
    ds : Dataset
        The dataset with the Waveform Sequence.
    index : int
        The multiplex group (sequence item).
    as_raw : bool
        Return the stored samples; by default each channel is scaled by its
        Channel Sensitivity and Correction Factor and offset by its Channel
        Baseline (PS3.3 C.10.9.1.4), as ``Dataset.waveform_array`` does in pydicom.

    Returns
    -------
    numpy.ndarray
        ``(samples, channels)``: float64, or the stored integer type when raw.

    Raises
    ------
    AttributeError
        If there is no Waveform Sequence, or naming the item's missing elements.
    ValueError
        For an unknown sample interpretation or data too short for the samples.
    """
    sequence = ds.get("WaveformSequence")
    if sequence is None:
        raise AttributeError("No (5400,0100) Waveform Sequence element found in the dataset")
    item = sequence[index]
    missing = [name for name in _REQUIRED if name not in item]
    if missing:
        raise AttributeError(
            f"Unable to convert the waveform multiplex group with index {index} as the "
            f"following required elements are missing from the sequence item: "
            f"{', '.join(missing)}"
        )
    bits = int(item.WaveformBitsAllocated)
    interpretation = str(item.WaveformSampleInterpretation).strip()
    kind = _DTYPES.get((bits, interpretation))
    if kind is None:
        raise ValueError(
            f"Waveform Bits Allocated {bits} with Waveform Sample Interpretation "
            f"'{interpretation}' is not a combination PS3.3 C.10.9.1.5 allows"
        )
    samples = int(item.NumberOfWaveformSamples)
    channels = int(item.NumberOfWaveformChannels)
    data = memoryview(item.WaveformData).cast("B")
    needed = samples * channels * bits // 8
    if len(data) < needed:
        raise ValueError(
            f"Waveform multiplex group {index}: (5400,1010) 'Waveform Data' has {len(data)} "
            f"bytes, {samples} samples of {channels} channels need {needed}"
        )
    little = ds.__dict__.get("_read_little") is not False
    meta = ds.__dict__.get("file_meta")
    if meta is not None and meta.get("TransferSyntaxUID") == "1.2.840.10008.1.2.2":
        little = False
    dtype = np.dtype(kind).newbyteorder("<" if little else ">")
    arr = np.frombuffer(data[:needed], dtype=dtype).reshape(samples, channels)
    arr = arr.astype(dtype.newbyteorder("="))
    if as_raw:
        return arr
    out = arr.astype(np.float64)
    for channel, definition in enumerate(item.get("ChannelDefinitionSequence") or []):
        if channel >= channels:
            break
        baseline = float(definition.get("ChannelBaseline", 0.0) or 0.0)
        sensitivity = float(definition.get("ChannelSensitivity", 1.0) or 1.0)
        correction = float(definition.get("ChannelSensitivityCorrectionFactor", 1.0) or 1.0)
        out[:, channel] = out[:, channel] * sensitivity * correction + baseline
    return out
