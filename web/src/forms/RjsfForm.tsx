/**
 * The configuration form from the app's JSON Schema (react-jsonschema-form with Ajv, validated in
 * the browser with the schema the server checks again). Loaded on demand: it is most of the UI's
 * JavaScript.
 */
import Form from '@rjsf/core';
import validator from '@rjsf/validator-ajv8';
import type { ErrorSchema, RJSFSchema, UiSchema } from '@rjsf/utils';
import type { ReactNode } from 'react';

export interface RjsfFormProps {
  idPrefix: string;
  schema: Record<string, unknown>;
  uiSchema?: Record<string, unknown>;
  formData: Record<string, unknown>;
  readOnly?: boolean;
  /** Errors from the server, by option path (dotted) */
  serverErrors?: Record<string, string[]>;
  onChange?(data: Record<string, unknown>): void;
  onSubmit?(data: Record<string, unknown>): void;
  children?: ReactNode;
}

function errorSchema(errors: Record<string, string[]> = {}): ErrorSchema {
  const out: Record<string, any> = {};
  for (const [path, messages] of Object.entries(errors)) {
    let node = out;
    if (path !== '(form)') for (const k of path.split('.')) node = node[k] ??= {};
    node.__errors = [...(node.__errors ?? []), ...messages];
  }
  return out as ErrorSchema;
}

export default function RjsfForm(p: RjsfFormProps) {
  const hasServerErrors = p.serverErrors && Object.keys(p.serverErrors).length > 0;
  return (
    <Form
      className={`schema-form${p.readOnly ? ' read-only' : ''}`}
      idPrefix={p.idPrefix}
      schema={p.schema as RJSFSchema}
      uiSchema={(p.uiSchema ?? {}) as UiSchema}
      formData={p.formData}
      validator={validator}
      readonly={p.readOnly}
      noHtml5Validate
      showErrorList={p.readOnly ? false : 'top'}
      focusOnFirstError
      extraErrors={hasServerErrors ? errorSchema(p.serverErrors) : undefined}
      onChange={(e) => p.onChange?.((e.formData ?? {}) as Record<string, unknown>)}
      onSubmit={(e) => p.onSubmit?.((e.formData ?? {}) as Record<string, unknown>)}
    >
      {p.readOnly ? <></> : p.children}
    </Form>
  );
}
