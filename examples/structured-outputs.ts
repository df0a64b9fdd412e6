/**
 * Example: Instructor-style structured outputs with zod schemas (the seed's example_structured_outputs.py).
 *   1. person extraction, 2. resume parsing, 3. sentiment analysis, 4. a streamed structured output.
 * Each answer is validated by its schema; an invalid one is re-asked with the errors, in the same job.
 * Run: `npm run example:structured-outputs` (with the gateway running: `npm start`).
 */
import { z } from '@saas-llm/sdk';
import { demoClient, runExample } from './demo-connection.ts';

// ============================================================================
// The seed's Pydantic models as zod schemas: same fields, same constraints, same defaults
// (`Optional[int] = None` → `.nullable().default(null)`, `List[str] = []` → `.default([])`).
// ============================================================================

const Person = z.object({
  name: z.string().describe('Full name of the person'),
  age: z.number().int().nullable().default(null).describe('Age in years'),
  occupation: z.string().nullable().default(null).describe('Job or occupation'),
}).meta({ title: 'Person', description: 'A person extracted from text' });
type Person = z.infer<typeof Person>;

const ResumeData = z.object({
  full_name: z.string().describe("Candidate's full name"),
  email: z.string().describe('Email address'),
  phone: z.string().nullable().default(null).describe('Phone number'),
  skills: z.array(z.string()).default([]).describe('List of skills'),
  experience_years: z.number().int().nullable().default(null).describe('Years of experience'),
  education: z.array(z.string()).default([]).describe('Educational qualifications'),
}).meta({ title: 'ResumeData', description: 'Structured resume data' });

const SentimentAnalysis = z.object({
  sentiment: z.string().describe('Overall sentiment: positive, negative, or neutral'),
  confidence: z.number().min(0).max(1).describe('Confidence score'),
  key_phrases: z.array(z.string()).default([]).describe('Key phrases from text'),
}).meta({ title: 'SentimentAnalysis', description: 'Sentiment analysis result' });

const RULE = '='.repeat(60);

function heading(title: string, first = false): void {
  console.log(`${first ? '' : '\n'}${RULE}\n${title}\n${RULE}`);
}

function printPerson(title: string, person: Person): void {
  console.log(`\n${title}`);
  console.log(`  Name: ${person.name}`);
  console.log(`  Age: ${person.age ?? 'unknown'}`);
  console.log(`  Occupation: ${person.occupation ?? 'unknown'}`);
}

runExample(async () => {
  const client = demoClient();

  // Example 1: the seed's style — createJob, calls on the current job, completeJob.
  heading('Example 1: Simple Person Extraction', true);
  await client.createJob({ job_type: 'structured_extraction', metadata: { example: 'person_extraction' } });
  const person = await client.structuredOutput({
    model_group: 'chat-fast',
    messages: [
      { role: 'system', content: 'Extract person information from the text. Return only valid JSON.' },
      { role: 'user', content: 'John Smith is a 35-year-old software engineer.' },
    ],
    responseModel: Person,
    temperature: 0.3,
    purpose: 'extract_person',
  });
  printPerson('Extracted Person:', person);
  console.log(`\nType: Person (validated by its zod schema: ${Person.safeParse(person).success ? 'valid' : 'invalid'})`);
  await client.completeJob({ status: 'completed', result: person });

  // Example 2: withJob — the job is completed with the returned object, or failed if anything throws.
  heading('Example 2: Resume Parsing');
  const resumeText = `
    Jane Doe
    jane.doe@email.com
    (555) 123-4567

    Skills: Python, FastAPI, PostgreSQL, Docker, React, TypeScript
    Experience: 5 years

    Education:
    - BS Computer Science, MIT, 2018
    - MS Artificial Intelligence, Stanford, 2020
    `;
  const resume = await client.withJob({ job_type: 'resume_parsing', metadata: { example: 'resume_extraction' } }, (job) => job.structuredOutput({
    model_group: 'chat-fast',
    messages: [
      { role: 'system', content: 'Parse the resume text into structured JSON format.' },
      { role: 'user', content: `Parse this resume:\n\n${resumeText}` },
    ],
    responseModel: ResumeData,
    temperature: 0.1, // lower temperature for more deterministic extraction
    purpose: 'parse_resume',
  }));
  console.log('\nParsed Resume:');
  console.log(`  Name: ${resume.full_name}`);
  console.log(`  Email: ${resume.email}`);
  console.log(`  Phone: ${resume.phone ?? 'unknown'}`);
  console.log(`  Skills: ${resume.skills.join(', ')}`);
  console.log(`  Experience: ${resume.experience_years ?? '?'} years`);
  console.log('  Education:');
  for (const education of resume.education) console.log(`    - ${education}`);

  // Example 3: an explicit jobId, as a server handling many jobs at once would pass it.
  heading('Example 3: Sentiment Analysis');
  const sentimentJob = await client.createJob({ job_type: 'sentiment_analysis', metadata: { example: 'sentiment' } });
  const text = 'I absolutely love this product! It exceeded all my expectations and the customer service was fantastic.';
  const sentiment = await client.structuredOutput({
    jobId: sentimentJob.job_id,
    model_group: 'chat-fast',
    messages: [
      { role: 'system', content: 'Analyze the sentiment of the text and extract key phrases.' },
      { role: 'user', content: `Analyze: ${text}` },
    ],
    responseModel: SentimentAnalysis,
    temperature: 0.2,
    purpose: 'analyze_sentiment',
  });
  console.log('\nSentiment Analysis:');
  console.log(`  Sentiment: ${sentiment.sentiment}`);
  console.log(`  Confidence: ${(sentiment.confidence * 100).toFixed(2)}%`);
  console.log('  Key Phrases:');
  for (const phrase of sentiment.key_phrases) console.log(`    - ${phrase}`);
  await client.completeJob({ jobId: sentimentJob.job_id, status: 'completed', result: sentiment });

  // Example 4: the JSON streams in; partial objects are typed, the final one is validated.
  heading('Example 4: Streaming Structured Output');
  const streamed = await client.withJob({ job_type: 'streaming_structured', metadata: { example: 'streaming_person' } }, async (job) => {
    console.log('\nStreaming JSON chunks:');
    console.log('-'.repeat(60));
    let partials = 0;
    let lastPartial: Partial<Person> | undefined;
    for await (const event of job.structuredOutputStream({
      model_group: 'chat-fast',
      messages: [
        { role: 'system', content: 'Extract person information. Return only valid JSON.' },
        { role: 'user', content: 'Dr. Sarah Johnson is a 42-year-old neuroscientist.' },
      ],
      responseModel: Person,
      temperature: 0.3,
      purpose: 'stream_extract_person',
    })) {
      if (event.type === 'partial') {
        process.stdout.write(event.delta);
        partials += 1;
        lastPartial = event.partial;
      } else if (event.type === 'retry') {
        console.log(`\n(answer rejected: ${event.issues.join('; ')} — asking again)`);
      } else {
        console.log(`\n${'-'.repeat(60)}`);
        console.log(`${partials} partial objects received while streaming; the last one had ${Object.keys(lastPartial ?? {}).length} field(s).`);
        return event.value;
      }
    }
    throw new Error('The stream ended without a final object.');
  });
  printPerson('Parsed Person:', streamed);

  console.log(`\n${RULE}\nAll examples completed!\n${RULE}`);
});
