from __future__ import annotations

import numpy as np
import pytest
import torch

from monai_refine.inferers import SliceGrid, network_input
from monai_refine.inferers.slice_grid import SliceFrame


def _square(shape=(60, 80), box=(slice(20, 32), slice(30, 52))):
    prior = np.zeros((1, *shape), bool)
    prior[(0, *box)] = True
    return prior


def test_frame_is_centred_on_the_prior_in_mm():
    grid = SliceGrid(size=16, spacing=2.0)
    frame = grid.frame(_square(box=(slice(20, 31), slice(30, 51))), spacing=(0.5, 1.0))
    assert frame.centre == (25.0, 40.0)  # rows 20..30, columns 30..50
    assert frame.step == (4.0, 2.0)  # 2 mm grid pixels: 4 rows of 0.5 mm, 2 columns of 1 mm
    points = frame.grid_points()
    assert points.shape == (2, 16, 16)
    assert points[0, 0, 0] == pytest.approx(25.0 - 7.5 * 4.0) and points[1, 0, -1] == pytest.approx(40.0 + 7.5 * 2.0)


def test_empty_prior_centres_on_the_slice():
    frame = SliceGrid(16, 1.0).frame(np.zeros((1, 10, 20), bool), (1.0, 1.0))
    assert frame.centre == (4.5, 9.5)


def test_patients_of_different_spacing_look_alike_on_the_grid():
    """The same 20 mm × 30 mm rectangle at 0.5 mm and at 1 mm pixels gives the same grid crop (2 mm pixels)."""
    grid = SliceGrid(size=32, spacing=2.0)
    fine = np.zeros((1, 200, 200), bool)
    fine[0, 60:100, 40:100] = True  # 40 × 60 pixels of 0.5 mm
    coarse = np.zeros((1, 100, 100), bool)
    coarse[0, 30:50, 20:50] = True  # 20 × 30 pixels of 1 mm
    a = grid.sample(fine.astype(np.float32), grid.frame(fine, (0.5, 0.5)), mode="nearest")
    b = grid.sample(coarse.astype(np.float32), grid.frame(coarse, (1.0, 1.0)), mode="nearest")
    assert int(a.sum()) == int(b.sum()) == 10 * 15
    np.testing.assert_array_equal(a, b)


def test_image_padding_is_air_and_bilinear():
    grid = SliceGrid(size=8, spacing=1.0)
    image = np.ones((1, 4, 4), np.float32)
    frame = grid.frame(np.ones((1, 4, 4), bool), (1.0, 1.0))
    crop = grid.sample(image, frame)
    assert crop.shape == (1, 8, 8)
    assert crop[0, 0, 0] == 0.0 and crop[0, 4, 4] == 1.0  # outside the slice: 0 (air after windowing)
    ramp = np.tile(np.arange(4, dtype=np.float32), (4, 1))[None]
    half = SliceGrid(size=8, spacing=0.5).sample(ramp, SliceGrid(8, 0.5).frame(np.ones((1, 4, 4), bool), (1, 1)))
    np.testing.assert_allclose(half[0, 4, :], [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 2.25], atol=1e-6)


def test_one_pixel_seeds_survive_downsampling():
    grid = SliceGrid(size=16, spacing=4.0)
    seeds = np.zeros((2, 64, 64), bool)
    seeds[0, 32, 10:50] = True  # a one-pixel line of 1 mm pixels
    seeds[1, 32, 10] = True  # a background seed on the same grid pixel as a foreground one: foreground wins
    seeds[1, 5, 5] = True
    on_grid = grid.seeds(seeds, grid.frame(seeds[:1], (1.0, 1.0)))
    assert on_grid.dtype == bool and on_grid.shape == (2, 16, 16)
    assert int(on_grid[0].sum()) == 10 and on_grid[0].any(1).sum() == 1  # 40 mm line -> 10 pixels of 4 mm
    assert int(on_grid[1].sum()) == 1 and not (on_grid[0] & on_grid[1]).any()


@pytest.mark.parametrize("device", ["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
def test_to_slice_inverts_sample(device):
    grid = SliceGrid(size=32, spacing=1.0)
    prior = _square()
    frame = grid.frame(prior, (1.0, 1.0))  # centre (25.5, 40.5): the grid pixels fall on slice pixels
    logits = torch.as_tensor(grid.sample(prior.astype(np.float32), frame, mode="nearest"), device=device) * 2 - 1
    back = grid.to_slice(logits, frame, fill=-5.0)
    assert back.shape == (1, 60, 80) and back.device.type == device
    np.testing.assert_array_equal((back > 0).cpu().numpy(), prior)
    assert float(back[0, 0, 0]) == -5.0  # outside the 32 mm field of view


def test_network_input_channels_and_errors():
    prior = _square()
    seeds = np.zeros((2, 60, 80), bool)
    seeds[0, 25, 40] = seeds[1, 10, 10] = True
    x, frame = network_input(SliceGrid(32, 2.0), np.ones((1, 60, 80), np.float32), prior, seeds, (1.0, 1.0))
    assert x.shape == (4, 32, 32) and x.dtype == np.float32
    assert x[2].max() == 1.0 and x[3].max() == 1.0
    # the seed map is a Gaussian in mm: one grid pixel (2 mm) from the seed it is exp(-2² / (2 · 5²))
    row, col = np.unravel_index(np.argmax(x[2]), x[2].shape)
    assert x[2, row, col + 1] == pytest.approx(np.exp(-4 / 50), abs=1e-5)
    x2, _ = network_input(SliceGrid(32, 2.0), np.ones((1, 60, 80), np.float32), prior, None, (1, 1), ("image", "prior"))
    np.testing.assert_array_equal(x2, x[:2])
    with pytest.raises(ValueError, match="channels must name"):
        network_input(SliceGrid(32, 2.0), prior, prior, seeds, (1, 1), ("image", "label"))
    with pytest.raises(ValueError, match="seeds are needed"):
        network_input(SliceGrid(32, 2.0), prior, prior, None, (1, 1))
    with pytest.raises(ValueError, match="spacing must be two"):
        SliceGrid(32, 2.0).frame(prior, (1.0, 0.0))
    with pytest.raises(ValueError, match="size must be"):
        SliceGrid(4, 2.0)
    with pytest.raises(ValueError, match="spacing must be finite"):
        SliceGrid(32, -1.0)
    frame = SliceGrid(32, 2.0).frame(prior, (1.0, 1.0))
    for shape in ((1, 60, 79), (1, 80, 60), (60, 80)):  # a column short, transposed, no channel axis
        with pytest.raises(ValueError, match="like the frame's slice"):
            SliceGrid(32, 2.0).sample(np.zeros(shape, np.float32), frame)


def test_to_slice_fills_the_whole_slice_the_grid_covers():
    """An 8-pixel grid at the slice's own spacing, centred on an 8x8 slice, covers every pixel, the last row and
    column included."""
    grid = SliceGrid(size=8, spacing=1.0)
    frame = grid.frame(np.ones((1, 8, 8)), (1.0, 1.0))
    assert frame.centre == (3.5, 3.5)
    out = grid.to_slice(torch.ones(1, 8, 8), frame, fill=-1.0)
    assert out.min() == 1.0


def test_to_slice_leaves_pixels_outside_the_grid_at_fill():
    """An 8-pixel grid at the slice's spacing centred on pixel (5, 5) covers slice rows and columns 1.5..8.5: pixels
    2..8 are sampled, rows/columns 1 and 9 (half a pixel outside) keep ``fill``, not the grid's border value."""
    grid = SliceGrid(size=8, spacing=1.0)
    frame = SliceFrame(shape=(12, 12), centre=(5.0, 5.0), step=(1.0, 1.0), size=8)
    out = grid.to_slice(torch.ones(1, 8, 8), frame, fill=-1.0)
    expected = torch.full((1, 12, 12), -1.0)
    expected[:, 2:9, 2:9] = 1.0
    torch.testing.assert_close(out, expected)  # bilinear weights: 1 to float32 rounding


def test_seeds_just_past_the_grid_are_dropped():
    """An 8-pixel grid at 1 mm centred on rows/columns 2..9 (centre 5.5) covers slice rows 2..9: a seed on row 10
    would be grid row 8, one past the last, and is dropped; row 9 is grid row 7, column 5 grid column 3."""
    grid = SliceGrid(size=8, spacing=1.0)
    prior = np.zeros((1, 12, 12), bool)
    prior[0, 2:10, 2:10] = True
    seeds = np.zeros((2, 12, 12), bool)
    seeds[0, 9, 5] = seeds[0, 10, 5] = seeds[1, 5, 10] = seeds[1, 1, 5] = True
    on_grid = grid.seeds(seeds, grid.frame(prior, (1.0, 1.0)))
    assert np.argwhere(on_grid[0]).tolist() == [[7, 3]] and not on_grid[1].any()


@pytest.mark.parametrize("point", [(1, 5), (10, 5), (5, 1), (5, 10)])
@pytest.mark.parametrize("channel", [0, 1])
def test_a_seed_past_any_side_of_the_grid_is_dropped(channel, point):
    """The same 8-pixel grid over slice rows and columns 2..9: a seed one pixel past its top, bottom, left or right
    side (grid row or column -1 or 8) is dropped, in either channel; none wraps around to the opposite side."""
    grid = SliceGrid(size=8, spacing=1.0)
    prior = np.zeros((1, 12, 12), bool)
    prior[0, 2:10, 2:10] = True
    seeds = np.zeros((2, 12, 12), bool)
    seeds[(channel, *point)] = True
    assert not grid.seeds(seeds, grid.frame(prior, (1.0, 1.0))).any()


def test_prior_channel_stays_binary_between_pixels():
    """A 1.5 mm grid on a 1 mm slice samples between pixels: the prior channel is resampled by nearest neighbour."""
    grid = SliceGrid(size=16, spacing=1.5)
    prior = _square()
    x, frame = network_input(grid, np.zeros((1, 60, 80), np.float32), prior, None, (1.0, 1.0), ("prior",))
    assert set(np.unique(x).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(x, grid.sample(prior.astype(np.float32), frame, mode="nearest"))


def test_network_input_image_is_bilinear():
    """network_input resamples the image bilinearly: a ramp 0..3 on 1 mm pixels read on a 0.5 mm grid gives the ramp
    at the grid points -0.25, 0.25, ..., 3.25 (0 padding past the slice), not the nearest pixel's value."""
    ramp = np.tile(np.arange(4, dtype=np.float32), (4, 1))[None]
    x, _ = network_input(SliceGrid(8, 0.5), ramp, np.ones((1, 4, 4), bool), None, (1.0, 1.0), ("image",))
    np.testing.assert_allclose(x[0, 4], [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 2.25], atol=1e-6)
