"""The facts that make a device's figures comparable: versions, the device, and on CUDA its memory, SMs and
driver."""

from __future__ import annotations

import platform
import subprocess
import time

import torch

from prism_core import bench


def facts(device: torch.device) -> dict:
    import timm
    import torchvision

    f = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "timm": timm.__version__,
        "device_type": device.type,
        "device": bench.device_label(device),
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        f.update(
            {
                "cuda": torch.version.cuda,
                "cudnn": torch.backends.cudnn.version(),
                "memory_gib": round(props.total_memory / 2**30, 1),
                "sms": props.multi_processor_count,
                "tf32_conv": torch.backends.cudnn.allow_tf32,
            }
        )
        try:
            f["driver"] = subprocess.run(
                ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=20,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            pass
    return f
