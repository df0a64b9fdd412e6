/**
 * Example: basic usage of the typed client (the seed's example_basic_usage.py).
 *   1. create a job, 2. make one chat completion in it, 3. complete the job.
 * Run: `npm run example:basic-usage` (with the gateway running: `npm start`).
 */
import { demoClient, runExample } from './demo-connection.ts';

runExample(async () => {
  const client = demoClient();

  console.log('Creating job...');
  const job = await client.createJob({ job_type: 'chat_example', metadata: { example: 'basic_usage' } });
  console.log(`Job created: ${job.job_id}`);

  console.log('\nMaking chat completion...');
  // No jobId: the client uses the job createJob just opened, as the seed client did.
  const response = await client.chat({
    model_group: 'chat-fast',
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'What is the capital of France?' },
    ],
    temperature: 0.7,
    purpose: 'example_query',
  });

  const content = response.choices[0]?.message.content ?? '';
  console.log(`\nAssistant: ${content}`);
  const usage = response.usage;
  console.log(`\nUsage: ${usage ? `{ prompt_tokens: ${usage.prompt_tokens}, completion_tokens: ${usage.completion_tokens}, total_tokens: ${usage.total_tokens} }` : 'N/A'}`);

  console.log('\nCompleting job...');
  const closed = await client.completeJob({ status: 'completed', result: { response: content } });
  console.log('Job completed!');
  console.log(`(${closed.costs.total_calls} call, $${closed.costs.total_cost_usd.toFixed(6)}, ${closed.costs.credits_charged} credit charged, ${closed.costs.credits_remaining} credits remaining)`);
});
