"""Cross-check against the reference implementations: transformers, peft and tokenizers load the files our engine
writes (safetensors checkpoints, PEFT adapters, full fine-tunes, the tokenizer) and agree with our logits. Needs
transformers and peft, which the CI machine cannot install, so it runs by hand (docs/reference-check.jsonl holds
the last results: transformers 5.17.0, peft 0.21.0, on an H200). Reads <dir>/manifest.json (written by scripts/reference-check-prepare.sh): a list of cases
  {"name", "model", "adapter"?: dir, "tokens": [...], "ours": file with {"logits": [[...]]}, "text"?: str, "ids"?: [...]}
Prints one JSON line per case with the max relative error (max |ours - ref| / max |ref|)."""
import json, sys, traceback
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

dev = 'cuda' if torch.cuda.is_available() else 'cpu'
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
cases = json.load(open(sys.argv[1] + "/manifest.json"))
for c in cases:
    out = {'name': c['name']}
    try:
        model = AutoModelForCausalLM.from_pretrained(c['model'], dtype=torch.float32).to(dev).eval()
        out['class'] = type(model).__name__
        if c.get('adapter'):
            from peft import PeftModel
            model = PeftModel.from_pretrained(model, c['adapter']).to(dev).eval()
            out['peft'] = type(model).__name__
            if c.get('merge'):
                model = model.merge_and_unload()
        with torch.no_grad():
            ref = model(input_ids=torch.tensor([c['tokens']], device=dev)).logits[0].double().cpu()
        ours = torch.tensor(json.load(open(c['ours']))['logits'], dtype=torch.float64)
        out['shape'] = list(ref.shape)
        out['rel_err'] = float((ours - ref).abs().max() / ref.abs().max())
        out['argmax_agree'] = float((ours.argmax(-1) == ref.argmax(-1)).double().mean())
        if c.get('base_ours'):
            # The change the adapter / fine-tune makes, ours vs the reference's: fails if it was not applied.
            base = torch.tensor(json.load(open(c['base_ours']))['logits'], dtype=torch.float64)
            d_ours, d_ref = ours - base, ref - base
            out['delta_max'] = float(d_ref.abs().max())
            out['delta_rel_err'] = float((d_ours - d_ref).abs().max() / d_ref.abs().max())
        if c.get('text') is not None:
            tok = AutoTokenizer.from_pretrained(c['model'])
            ids = tok(c['text'], add_special_tokens=False)['input_ids']
            out['tokenizer_same'] = ids == c['ids']
    except Exception as e:
        out['error'] = repr(e)[:500]
        traceback.print_exc()
    print(json.dumps(out), flush=True)
