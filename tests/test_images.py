"""Image builders: uint8 arrays in, one uint8 picture out."""

import numpy as np
import pytest
import torch

from lenet_core.present.pictures import GAP_VALUE, tile, upscale


def test_upscale_makes_sharp_blocks():
    image = np.array([[0, 255], [10, 20]], dtype=np.uint8)
    big = upscale(image, 3)
    assert big.shape == (6, 6) and big.dtype == np.uint8
    assert (big[:3, 3:] == 255).all() and (big[3:, :3] == 10).all()


def test_tile_lays_images_out_row_by_row_with_gaps():
    images = np.stack([np.full((2, 3), value, dtype=np.uint8) for value in (1, 2, 3)])
    grid = tile(images, ncols=2, scale=2, gap=1)
    # 2 rows × 2 columns of 4×6 cells with 1-pixel gaps
    assert grid.shape == (4 + 1 + 4, 6 + 1 + 6) and grid.dtype == np.uint8
    assert (grid[:4, :6] == 1).all() and (grid[:4, 7:] == 2).all() and (grid[5:, :6] == 3).all()
    assert (grid[4, :] == GAP_VALUE).all() and (grid[:, 6] == GAP_VALUE).all()
    assert (grid[5:, 7:] == GAP_VALUE).all()  # the empty cell after the last image


def test_tile_takes_a_tensor_and_a_single_column():
    images = torch.arange(3 * 28 * 28, dtype=torch.int64).remainder(256).to(torch.uint8).reshape(3, 28, 28)
    strip = tile(images, ncols=1, scale=1, gap=2, gap_value=0)
    assert strip.shape == (3 * 28 + 2 * 2, 28)
    np.testing.assert_array_equal(strip[30:58], images[1].numpy())


def test_tile_refuses_what_is_not_uint8_images():
    with pytest.raises(ValueError, match="uint8"):
        tile(np.zeros((2, 28, 28), dtype=np.float32), ncols=2)
    with pytest.raises(ValueError, match="ncols"):
        tile(np.zeros((2, 28, 28), dtype=np.uint8), ncols=0)
