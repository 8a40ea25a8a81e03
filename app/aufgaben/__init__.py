"""Task inbox and task forms rendered from the BPMN form fields (camunda:formData)."""
