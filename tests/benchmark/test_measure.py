"""A cell's images: the init images row is what every real-init run starts from; random real draws per seed; Dask
weighs them by their bytes."""

from prism_core import benchmark as bm
from prism_core.workspaces import EMBEDDED_WORKSPACE


def test_the_init_images_row_is_what_every_real_init_run_starts_from(fmnist, tmp_path):
    from prism_core.benchmark.measure import make_images
    from prism_core.data import real_image_indices

    bench = bm.Benchmark(EMBEDDED_WORKSPACE)
    images = make_images(bench, "real init images", 2, 5, tmp_path)
    train = fmnist.split("train")
    start = train.load(real_image_indices(train, [(c, k) for c in range(10) for k in range(2)]))
    assert (images.x01 == start).all() and list(images.classes) == [c for c in range(10) for _ in range(2)]
    draws = [make_images(bench, "random real", 2, seed, tmp_path).x01 for seed in (0, 1)]
    assert not (draws[0] == draws[1]).all()


def test_dask_weighs_a_cells_images_by_their_bytes(fmnist, tmp_path):
    """Its work stealing moves an evaluation to an idle worker by comparing this transfer with the compute."""
    from dask.sizeof import sizeof

    from prism_core.benchmark.measure import make_images

    images = make_images(bm.Benchmark(EMBEDDED_WORKSPACE), "random real", 3, 0, tmp_path)
    pixels = images.x01.numel() * images.x01.element_size()
    assert sizeof(images) >= pixels >= 30 * 28 * 28 * 4  # 30 float images, not the object's own 56 bytes
