import type { NewDocument } from "../documents.js";

/**
 * The demo knowledge base: six help-centre articles of a fictional sales product. Written for
 * the demo and for the search test, whose paraphrased questions must find the right article.
 */
export const DEMO_DOCUMENTS: NewDocument[] = [
  {
    title: "Refund and cancellation policy",
    source: "help-center/billing/refunds",
    content: `# Refund and cancellation policy

## Cancelling a subscription
You can cancel your subscription at any time from Settings > Billing. The cancellation takes effect at the end of the current billing period, and you keep access to every feature until then.

## Refunds
Annual plans are eligible for a full refund within 30 days of purchase. After 30 days we refund the unused months, minus a 10% administration fee. Monthly plans are not refunded, but you will not be charged again after you cancel.

To request a refund, write to billing support with your invoice number. Refunds are returned to the original payment method within 5 to 10 business days.

## Downgrades
Moving to a cheaper plan applies from your next invoice. Seats above the new plan's limit are deactivated, starting with the most recently added.`,
  },
  {
    title: "Security and data protection",
    source: "help-center/trust/security",
    content: `# Security and data protection

## Encryption
All customer data is encrypted in transit with TLS 1.2 or later and at rest with AES-256. Database backups are encrypted with separate keys that rotate every 90 days.

## Access control
Employees access production systems only through single sign-on with hardware security keys. Every access is logged and reviewed monthly. Customers can enforce SAML single sign-on and two-factor authentication for their whole workspace.

## Compliance
We hold a SOC 2 Type II report, renewed every year, and we are GDPR compliant. A data processing agreement is available on request. Customer data is hosted in the European Union or the United States, as chosen when the workspace is created.

## Reporting a vulnerability
Security researchers can report vulnerabilities to our security team; we answer within two business days.`,
  },
  {
    title: "Getting started: your first week",
    source: "help-center/onboarding/first-week",
    content: `# Getting started: your first week

## Day one: set up your workspace
After you sign up, invite your teammates from Settings > Members and choose their roles. Connect your mailbox so that emails you send and receive are logged against your leads automatically.

## Import your leads
Upload a CSV file or connect your existing tools. Each imported lead is scored within minutes, so your team knows whom to call first.

## Build your first sequence
Create a follow-up sequence of three emails over a week. Personalise each step with the lead's first name and company, and the sequence stops on its own when the lead replies.

## Review your pipeline
By the end of the first week, review the pipeline board: drag deals between stages and check the forecast on the dashboard.`,
  },
  {
    title: "Integrations: Salesforce, HubSpot and Slack",
    source: "help-center/integrations/overview",
    content: `# Integrations: Salesforce, HubSpot and Slack

## Salesforce
The Salesforce connector synchronises contacts, accounts and opportunities in both directions every five minutes. Field mappings are configurable, and conflicts are resolved in favour of the most recent change.

## HubSpot
Connect HubSpot to import contacts and companies, and to push lead scores back as a custom property. The import keeps HubSpot's lifecycle stage as the lead's stage.

## Slack
The Slack app posts a message to a channel when a high-scoring lead replies or a deal changes stage. Each user can also receive a daily digest of their tasks as a direct message.

## Webhooks and API
Every event is also available as a webhook, and the REST API covers leads, activities and campaigns. API keys are created per workspace by an admin.`,
  },
  {
    title: "Email deliverability troubleshooting",
    source: "help-center/email/deliverability",
    content: `# Email deliverability troubleshooting

## Messages going to spam
If recipients find your emails in their junk folder, first check that your sending domain publishes SPF, DKIM and DMARC records. Unauthenticated mail is filtered by most providers.

## Warm up new domains
A new sending domain should start with a few dozen emails a day and grow slowly over four weeks. Sending thousands of messages from a fresh domain damages its reputation.

## Content and links
Avoid link shorteners, large images without text and spam trigger phrases in subject lines. Every campaign includes an unsubscribe link, which providers expect.

## Bounces
Hard bounces are added to the suppression list at once so that you never email that address again. A bounce rate above 5% pauses the campaign for review.`,
  },
  {
    title: "Plans and pricing",
    source: "help-center/billing/pricing",
    content: `# Plans and pricing

## Free
The free plan is for one user with up to 250 leads and 500 emails a month. Jobs such as lead scoring run one at a time.

## Starter and Professional
Starter costs 29 dollars per user per month and Professional 79 dollars per user per month. Both run up to five background jobs at once; Professional adds sequences, AI agents and the Salesforce connector.

## Enterprise
Enterprise pricing is annual and depends on the number of seats, starting at 25,000 dollars a year. It includes single sign-on, a dedicated success manager, a 99.9% uptime commitment and up to twenty jobs at once.

## Discounts
Annual billing saves two months on every paid plan. Non-profits and startups in accelerator programmes get 50% off the first year.`,
  },
];
