import { SpeechRecognizer, readFsdd, type SpeechRecognizerConfig } from '../src/index';
async function main(): Promise<void> {
  const speaker = process.argv[2] as string;
  const config = JSON.parse(process.argv[3] ?? '{}') as SpeechRecognizerConfig;
  const all = await readFsdd();
  const ex = (rs: typeof all) => rs.map((r) => ({ audio: r.path, label: r.label }));
  const model = SpeechRecognizer.create(config);
  const t0 = performance.now();
  await model.train(ex(all.filter((r) => r.speaker !== speaker)), { progress: false });
  const m = await model.evaluate(ex(all.filter((r) => r.speaker === speaker)));
  console.log(JSON.stringify({ speaker, config, accuracy: m.accuracy, seconds: (performance.now() - t0) / 1000, confusion: m.confusion }));
}
void main();
