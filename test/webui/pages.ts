// The Temporal Web UI's pages as a person uses them, read through playwright-core. The UI is a single
// page app that keeps loading after the first paint (a plain `chromium --screenshot` catches it blank),
// so every read waits for the element it reads. Markdown (a run's summary, its current details) is
// rendered in iframes titled `output`, under the heading of its panel.
import type { Locator, Page } from 'playwright-core';

/** The workflows page with a visibility query in its address, as a person would type it in the filter. */
export async function openWorkflowList(page: Page, uiUrl: string, namespace: string, query: string): Promise<void> {
  await page.goto(`${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`);
}

/** The row of the list whose workflow id is exactly `workflowId` (an actor's id is a prefix of its
 * sync's, so a row is matched by its link, not by its text). */
export function workflowRow(page: Page, workflowId: string): Locator {
  return page.getByRole('row').filter({ has: page.getByRole('link', { name: workflowId, exact: true }) });
}

/** The run page's header: its status, workflow id, type and parent. */
export function runHeader(page: Page): Locator {
  return page.locator('header').filter({ has: page.getByTestId('workflow-id-heading') });
}

/** The text of the Markdown rendered under a panel heading of the User Metadata tab, once rendered. */
async function panelMarkdown(page: Page, heading: string): Promise<{ text: string; bold: string[] }> {
  const iframe = page.locator(`xpath=//h3[normalize-space()="${heading}"]/following::iframe[@title="output"][1]`);
  const frame = iframe.contentFrame();
  await frame.locator('body').filter({ hasText: /\S/ }).waitFor();
  const text = (await frame.locator('body').innerText()).trim();
  const bold = (await frame.locator('strong, b').allInnerTexts()).map((t) => t.trim());
  return { text, bold };
}

export interface UserMetadata {
  summary: string;
  details: { text: string; bold: string[] };
}

/** Opens the run's User Metadata tab and reads its summary and current details. */
export async function readUserMetadata(page: Page): Promise<UserMetadata> {
  await page.getByRole('tab', { name: 'User Metadata' }).click();
  await page.getByRole('heading', { name: 'Current Details', exact: true }).waitFor();
  const summary = (await panelMarkdown(page, 'Summary')).text;
  const details = await panelMarkdown(page, 'Current Details');
  return { summary, details };
}
