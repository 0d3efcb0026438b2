import pytest
import torch
import torchvision
from torchvision.models.video import r3d_18
from torchvision.models.video.resnet import VideoResNet

from ssv2.models import MEAN, STD, Conv3D, StemConv, build_model


@pytest.mark.parametrize("width", [16, 64])
@pytest.mark.parametrize(
    "depth, blocks, features", [(18, [2, 2, 2, 2], 512), (34, [3, 4, 6, 3], 512), (50, [3, 4, 6, 3], 2048)]
)
def test_output_shape(depth, blocks, features, width):
    model = build_model(depth, num_classes=7, width=width).eval()
    assert [len(getattr(model, f"layer{i}")) for i in range(1, 5)] == blocks
    assert model.fc.in_features == features * width // 64
    with torch.no_grad():
        out = model(torch.randint(0, 256, (2, 3, 8, 32, 32), dtype=torch.uint8))
    assert out.shape == (2, 7)


def test_residual_branches_start_as_the_identity():
    model = build_model(50, 3, width=16)
    last_norms = [b.conv3[1].weight for layer in (model.layer1, model.layer4) for b in layer]
    assert all((w == 0).all() for w in last_norms)


def test_depth_18_is_torchvision_r3d_18():
    ours, theirs = build_model(18, 400).state_dict(), r3d_18().state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}


@pytest.mark.parametrize("width", [16, 64])
def test_stem_pool_halves_layer1_maps_and_adds_no_weights(width):
    pooled, plain = build_model(18, 5, width=width, stem_pool=True).eval(), build_model(18, 5, width=width).eval()
    assert pooled.state_dict().keys() == plain.state_dict().keys()  # torchvision's weights still load
    clips = torch.randint(0, 256, (1, 3, 8, 64, 64), dtype=torch.uint8)
    with torch.no_grad():
        assert pooled.stem(pooled.normalize(clips)).shape[2:] == (8, 16, 16)
        assert plain.stem(plain.normalize(clips)).shape[2:] == (8, 32, 32)
        assert pooled(clips).shape == (1, 5)


@pytest.mark.parametrize("depth", [18, 50])
def test_non_local_block_starts_as_the_identity(depth):
    torch.manual_seed(0)
    plain = build_model(depth, 5, width=16, centre=True).eval()
    torch.manual_seed(0)
    relating = build_model(depth, 5, width=16, centre=True, non_local=True).eval()
    missing = relating.load_state_dict(plain.state_dict(), strict=False).missing_keys
    assert missing and all(k.startswith("relate.") for k in missing)  # the ResNet's own weights are unchanged
    clips = torch.randint(0, 256, (2, 3, 8, 32, 32), dtype=torch.uint8)
    with torch.no_grad():
        torch.testing.assert_close(relating(clips), plain(clips))
    relating.train()(clips).sum().backward()
    assert relating.relate.out[1].weight.grad.abs().sum() > 0  # it learns from the first step


def test_unknown_depth():
    with pytest.raises(ValueError, match="depth 101"):
        build_model(101, 3)


@pytest.fixture(scope="module")
def kinetics_weights(tmp_path_factory):
    """A state dict laid out like torchvision's r3d_18 Kinetics-400 file (random weights, no download)."""
    torch.manual_seed(0)
    reference = r3d_18()
    for bn in (m for m in reference.modules() if isinstance(m, torch.nn.BatchNorm3d)):
        bn.running_mean.normal_()  # not the constructor's defaults, so that loading is visible
    path = tmp_path_factory.mktemp("weights") / "r3d_18-kinetics.pth"
    torch.save(reference.state_dict(), path)
    return path, reference.state_dict()


def test_pretrained_loads_all_but_fc(kinetics_weights):
    path, reference = kinetics_weights
    model = build_model(18, 174, pretrained=str(path))
    state = model.state_dict()
    assert state["fc.weight"].shape == (174, 512)
    for name, value in reference.items():
        if not name.startswith("fc."):
            torch.testing.assert_close(state[name], value, rtol=0, atol=0, msg=name)


def test_pretrained_missing_file_names_path_and_source(tmp_path):
    path = tmp_path / "nope.pth"
    with pytest.raises(FileNotFoundError, match="nope.pth") as info:
        build_model(18, 174, pretrained=path)
    assert "https://download.pytorch.org/models/r3d_18" in str(info.value)


def test_pretrained_of_another_width_is_a_shape_mismatch(kinetics_weights):
    with pytest.raises(
        ValueError,
        match=r"r3d_18-kinetics.pth: does not match an R3D-18 .*shape mismatch .*\(64, 64, 3, 3, 3\) vs \(16, 16, 3, 3, 3\)",
    ):
        build_model(18, 174, pretrained=kinetics_weights[0], width=16)


def test_pretrained_loads_a_narrow_models_own_weights(tmp_path):
    """Weights of an earlier training of the same shape (the pretrain stage's), stored in bf16."""
    source = build_model(18, 8, width=16, centre=True, stem_pool=True)
    path = tmp_path / "sample-r3d.pth"
    torch.save({k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in source.state_dict().items()}, path)
    model = build_model(18, 174, pretrained=path, width=16, centre=True, stem_pool=True)
    for name, value in source.state_dict().items():
        if not name.startswith("fc."):
            torch.testing.assert_close(model.state_dict()[name], value.to(torch.bfloat16).to(value.dtype), msg=name)


def test_pretrained_depth_must_be_the_models(kinetics_weights):
    with pytest.raises(ValueError, match="r3d_18-kinetics.pth: holds a R3D of depth 18, but the model is an R3D-34"):
        build_model(34, 174, pretrained=kinetics_weights[0])


def imagenet_resnet(depth: int, path) -> torch.nn.Module:
    """torchvision's 2D ResNet of `depth` with random weights and batch-norm statistics, saved to `path`."""
    torch.manual_seed(depth)
    resnet = getattr(torchvision.models, f"resnet{depth}")()
    for bn in (m for m in resnet.modules() if isinstance(m, torch.nn.BatchNorm2d)):
        bn.running_mean.normal_(0, 0.1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 1.5)
    torch.save(resnet.state_dict(), path)
    return resnet.eval()


def replicate_time_padding(model: torch.nn.Module) -> None:
    """Pad every Conv3d in time by repeating the end frames instead of with zeros.

    A clip of identical frames then looks the same to every kernel as the middle of an endless
    static video, where the I3D equivalence holds exactly.
    """

    def pad(conv, inputs):
        return torch.nn.functional.pad(inputs[0], (0, 0, 0, 0, conv.time_padding, conv.time_padding), mode="replicate")

    for conv in (m for m in model.modules() if isinstance(m, torch.nn.Conv3d)):
        conv.time_padding, conv.padding = conv.padding[0], (0, *conv.padding[1:])
        conv.register_forward_pre_hook(pad)


@pytest.mark.parametrize("depth", [18, 34, 50])
def test_inflated_imagenet_resnet_gives_the_2d_activations_on_a_static_clip(tmp_path, depth):
    resnet = imagenet_resnet(depth, tmp_path / f"resnet{depth}.pth")
    model = build_model(depth, 5, pretrained=tmp_path / f"resnet{depth}.pth").eval()
    stem, conv = resnet.conv1.weight, model.stem[0].weight
    assert conv.shape == (64, 3, 3, 7, 7)
    torch.testing.assert_close(conv.sum(2), stem)  # repeated over time and divided by 3
    torch.testing.assert_close(model.layer1[0].conv1[1].running_mean, resnet.layer1[0].bn1.running_mean)

    # R3D's stem has no max-pool (torchvision's design), so compare with the 2D net without its own.
    resnet.maxpool = resnet.fc = model.fc = torch.nn.Identity()
    replicate_time_padding(model)
    image = torch.randint(0, 256, (2, 3, 48, 48), dtype=torch.uint8)  # the model normalises uint8 clips itself
    normalised = (image.float() / 255 - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(STD).view(3, 1, 1)
    with torch.no_grad():
        expected = resnet(normalised)
        static = model(image[:, :, None].expand(-1, -1, 4, -1, -1))
    torch.testing.assert_close(static, expected, rtol=1e-4, atol=1e-4)


def test_inflated_resnet_of_another_depth_is_an_error(tmp_path):
    imagenet_resnet(18, tmp_path / "resnet18.pth")
    with pytest.raises(
        ValueError, match="resnet18.pth: holds a 2D ResNet \\(inflated\\) of depth 18, but the model is an R3D-50"
    ):
        build_model(50, 5, pretrained=tmp_path / "resnet18.pth")


def test_pretrained_mismatch_is_an_error(tmp_path, kinetics_weights):
    _, reference = kinetics_weights
    broken = dict(reference)
    broken.pop("layer4.1.conv2.0.weight")
    broken["stem.0.weight"] = torch.zeros(64, 3, 1, 7, 7)
    path = tmp_path / "broken.pth"
    torch.save(broken, path)
    with pytest.raises(ValueError, match="broken.pth.*missing.*layer4.1.conv2.0.weight.*stem.0.weight"):
        build_model(18, 174, pretrained=path)


def test_pretrained_not_a_state_dict(tmp_path):
    path = tmp_path / "junk.pth"
    path.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="junk.pth"):
        build_model(18, 174, pretrained=path)


@pytest.mark.parametrize("centre", [False, True])
def test_the_model_normalises_uint8_clips(centre):
    model = build_model(18, 4, width=8, centre=centre)
    clips = torch.zeros(2, 3, 4, 5, 6, dtype=torch.uint8)
    clips[1, 1] = 255
    clips[0, :, 2] = 100  # one brighter frame
    out = model.normalize(clips)
    mean, std = torch.tensor(MEAN).view(3, 1, 1, 1), torch.tensor(STD).view(3, 1, 1, 1)
    plain = (clips.float() / 255 - mean) / std
    expected = plain - plain.mean(2, keepdim=True) if centre else plain
    torch.testing.assert_close(out, expected)
    if centre:  # what stays still over the clip is gone
        assert out[1, 1].abs().max() < 1e-5
    assert model(clips).shape == (2, 4)


def test_scene_feeds_the_still_scene_beside_the_centred_clip():
    clips = torch.randint(0, 256, (2, 3, 4, 16, 16), dtype=torch.uint8)
    model = build_model(18, 4, width=8, centre=True, scene=True)
    plain = build_model(18, 4, width=8).normalize(clips)
    still = plain.mean(2, keepdim=True)
    out = model.normalize(clips)
    torch.testing.assert_close(out[:, :3], plain - still)
    torch.testing.assert_close(out[:, 3:], still.expand_as(plain))
    assert model.stem[0].in_channels == 6
    assert model(clips).shape == (2, 4)
    with pytest.raises(ValueError, match="need centre"):
        build_model(18, 4, width=8, scene=True)


@pytest.mark.parametrize("still", [0.1, 0.3])
def test_still_leaves_a_share_of_the_still_scene_in_the_centred_clip(still):
    clips = torch.randint(0, 256, (2, 3, 4, 16, 16), dtype=torch.uint8)
    clips[1] = clips[1, :, :1]  # a clip where nothing moves
    plain = build_model(18, 4, width=8).normalize(clips)
    out = build_model(18, 4, width=8, centre=True, still=still).normalize(clips)
    torch.testing.assert_close(out, plain - (1 - still) * plain.mean(2, keepdim=True))
    torch.testing.assert_close(out[1], still * plain[1])
    with pytest.raises(ValueError, match="need centre"):
        build_model(18, 4, width=8, still=still)


def test_dropout_acts_in_training_only_and_adds_no_weights():
    torch.manual_seed(0)
    clips = torch.randint(0, 256, (4, 3, 4, 16, 16), dtype=torch.uint8)
    model = build_model(18, 4, width=8, centre=True, dropout=0.5)
    plain = build_model(18, 4, width=8, centre=True)
    plain.load_state_dict(model.state_dict())  # strict: the same keys
    model.eval(), plain.eval()
    torch.testing.assert_close(model(clips), plain(clips))
    # The forward is VideoResNet's, with the dropout before fc.
    torch.testing.assert_close(plain(clips), VideoResNet.forward(plain, plain.normalize(clips)))
    model.train(), plain.train()
    assert not torch.equal(model(clips), model(clips))
    torch.testing.assert_close(plain(clips), plain(clips))


def test_the_model_refuses_float_and_wrong_channels():
    model = build_model(18, 4, width=8)
    with pytest.raises(TypeError, match="uint8"):
        model(torch.zeros(1, 3, 2, 4, 4))
    with pytest.raises(ValueError, match=r"\(N, 3, T, H, W\)"):
        model(torch.zeros(1, 4, 2, 4, 4, dtype=torch.uint8))


@pytest.mark.parametrize("depth", [1, 2, 4])
@pytest.mark.parametrize("conv", [Conv3D(8, 8), StemConv(8, 8)], ids=["conv3d", "stem"])
def test_convolutions_run_two_step_clips_in_float32_under_cpu_autocast_without_amx(conv, depth):
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = conv(torch.randn(2, 8, depth, 6, 6))
    float32 = depth == 2 and not torch.cpu._is_amx_tile_supported()
    assert out.dtype == (torch.float32 if float32 else torch.bfloat16)
    assert conv(torch.randn(2, 8, depth, 6, 6)).dtype == torch.float32  # no autocast: float32 as ever


@pytest.mark.parametrize(
    "conv, clip",
    [(Conv3D(64, 64), (8, 64, 2, 8, 8)), (StemConv(3, 16), (8, 3, 2, 32, 32))],
    ids=["layer3-of-8-frames", "stem-of-2-frames"],
)
def test_bf16_weight_gradients_of_two_step_clips_stay_finite(conv, clip):
    # Without the float32 detour, oneDNN's bf16 kernel on AVX-512 BF16 CPUs without AMX gave NaN weight
    # gradients in 21-56 of 200 calls for layer3 of an 8-frame R3D (round 48), and in 39 of 40 for the stem
    # of a 2-frame one at 32 px (round 59: the tuning tests' trials of 2 frames diverged).
    torch.manual_seed(0)
    conv = conv.to(memory_format=torch.channels_last_3d)
    for _ in range(100):
        x = torch.randn(clip).contiguous(memory_format=torch.channels_last_3d)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = conv(x)
        out.backward(torch.randn_like(out))
        assert torch.isfinite(conv.weight.grad).all()
        conv.weight.grad = None
