# silero_vad.jit (silero-vad 6.2.3 wheel) -> silero_vad_16k.safetensors with the v6 weights of the official ONNX.
# Python stdlib only. Storage index -> tensor mapping verified byte-for-byte against silero_vad_16k_op15.onnx.
import sys, zipfile, json, struct
NAMES = ['stft_conv.weight', 'conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'conv3.weight', 'conv3.bias',
         'conv4.weight', 'conv4.bias', 'lstm_cell.weight_ih', 'lstm_cell.weight_hh', 'lstm_cell.bias_ih',
         'lstm_cell.bias_hh', 'final_conv.weight', 'final_conv.bias']
SHAPES = [[258,1,256],[128,129,3],[128],[64,128,3],[64],[64,64,3],[64],[128,64,3],[128],[512,128],[512,128],[512],[512],[1,128,1],[1]]
z = zipfile.ZipFile(sys.argv[1])
prefix = 'VADr_v6_10_25_noths_re/data/'
hdr, data = {}, b''
for i, (name, shape) in enumerate(zip(NAMES, SHAPES)):
    blob = z.read(f'{prefix}{i + 2}')
    n = 4
    for d in shape: n *= d
    assert len(blob) == n, (name, len(blob), n)
    hdr[name] = {'dtype': 'F32', 'shape': shape, 'data_offsets': [len(data), len(data) + n]}
    data += blob
h = json.dumps(hdr, separators=(',', ':')).encode()
h += b' ' * (-len(h) % 8)
open(sys.argv[2], 'wb').write(struct.pack('<Q', len(h)) + h + data)
