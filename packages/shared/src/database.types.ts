
export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]

export type Database = {
  
  "public": {
          Tables: {
            "agents": {
                  Row: {
                    "area_code_obtained": string | null,"area_code_requested": string | null,"area_codes_tried": (string)[],"created_at": string,"deploy_attempts": number,"deploy_error_code": string | null,"deploy_error_detail": string | null,"deploy_requested_at": string | null,"deploy_source": string | null,"deploy_status": string,"deployed_at": string | null,"id": string,"lease_expires_at": string | null,"lease_id": string | null,"master_version_pinned": boolean,"model": string,"next_attempt_at": string,"number_purchase_started_at": string | null,"phone_number": string | null,"retell_agent_id": string | null,"retell_agent_version": number | null,"retell_llm_id": string | null,"updated_at": string,"user_id": string,"waiting_for": (string)[]
                  }
                  ComputedFields: never
                  Insert: {
                    "area_code_obtained"?: string | null,"area_code_requested"?: string | null,"area_codes_tried"?: (string)[],"created_at"?: string,"deploy_attempts"?: number,"deploy_error_code"?: string | null,"deploy_error_detail"?: string | null,"deploy_requested_at"?: string | null,"deploy_source"?: string | null,"deploy_status"?: string,"deployed_at"?: string | null,"id"?: string,"lease_expires_at"?: string | null,"lease_id"?: string | null,"master_version_pinned"?: boolean,"model"?: string,"next_attempt_at"?: string,"number_purchase_started_at"?: string | null,"phone_number"?: string | null,"retell_agent_id"?: string | null,"retell_agent_version"?: number | null,"retell_llm_id"?: string | null,"updated_at"?: string,"user_id": string,"waiting_for"?: (string)[]
                  }
                  Update: {
                    "area_code_obtained"?: string | null,"area_code_requested"?: string | null,"area_codes_tried"?: (string)[],"created_at"?: string,"deploy_attempts"?: number,"deploy_error_code"?: string | null,"deploy_error_detail"?: string | null,"deploy_requested_at"?: string | null,"deploy_source"?: string | null,"deploy_status"?: string,"deployed_at"?: string | null,"id"?: string,"lease_expires_at"?: string | null,"lease_id"?: string | null,"master_version_pinned"?: boolean,"model"?: string,"next_attempt_at"?: string,"number_purchase_started_at"?: string | null,"phone_number"?: string | null,"retell_agent_id"?: string | null,"retell_agent_version"?: number | null,"retell_llm_id"?: string | null,"updated_at"?: string,"user_id"?: string,"waiting_for"?: (string)[]
                  }
                  Relationships: [
                    
                  ]
                },"app_settings": {
                  Row: {
                    "description": string,"key": string,"updated_at": string,"value": NonNullable<Json>
                  }
                  ComputedFields: never
                  Insert: {
                    "description"?: string,"key": string,"updated_at"?: string,"value": NonNullable<Json>
                  }
                  Update: {
                    "description"?: string,"key"?: string,"updated_at"?: string,"value"?: NonNullable<Json>
                  }
                  Relationships: [
                    
                  ]
                },"appointments": {
                  Row: {
                    "calcom_booking_id": number | null,"calcom_booking_uid": string | null,"calcom_event_type_id": number | null,"calcom_last_event_at": string | null,"calcom_organizer": Json | null,"call_id": string | null,"cancellation_reason": string | null,"created_at": string,"customer_email": string | null,"customer_name": string,"customer_phone": string | null,"end_at": string,"id": string,"notes": string | null,"rescheduled_from_uid": string | null,"service": string | null,"source": string,"start_at": string,"status": string,"time_zone": string | null,"updated_at": string,"user_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "calcom_booking_id"?: number | null,"calcom_booking_uid"?: string | null,"calcom_event_type_id"?: number | null,"calcom_last_event_at"?: string | null,"calcom_organizer"?: Json | null,"call_id"?: string | null,"cancellation_reason"?: string | null,"created_at"?: string,"customer_email"?: string | null,"customer_name": string,"customer_phone"?: string | null,"end_at": string,"id"?: string,"notes"?: string | null,"rescheduled_from_uid"?: string | null,"service"?: string | null,"source"?: string,"start_at": string,"status"?: string,"time_zone"?: string | null,"updated_at"?: string,"user_id"?: string | null
                  }
                  Update: {
                    "calcom_booking_id"?: number | null,"calcom_booking_uid"?: string | null,"calcom_event_type_id"?: number | null,"calcom_last_event_at"?: string | null,"calcom_organizer"?: Json | null,"call_id"?: string | null,"cancellation_reason"?: string | null,"created_at"?: string,"customer_email"?: string | null,"customer_name"?: string,"customer_phone"?: string | null,"end_at"?: string,"id"?: string,"notes"?: string | null,"rescheduled_from_uid"?: string | null,"service"?: string | null,"source"?: string,"start_at"?: string,"status"?: string,"time_zone"?: string | null,"updated_at"?: string,"user_id"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "appointments_call_id_fkey"
      columns: ["call_id"]
isOneToOne: false
      referencedRelation: "calls"
      referencedColumns: ["call_id"]
    }
                  ]
                },"audit_logs": {
                  Row: {
                    "action": string,"actor_user_id": string | null,"created_at": string,"details": NonNullable<Json>,"id": number,"ip": unknown,"on_behalf_of_user_id": string | null,"target_id": string | null,"target_table": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "action": string,"actor_user_id"?: string | null,"created_at"?: string,"details"?: NonNullable<Json>,"id"?: never,"ip"?: unknown,"on_behalf_of_user_id"?: string | null,"target_id"?: string | null,"target_table"?: string | null
                  }
                  Update: {
                    "action"?: string,"actor_user_id"?: string | null,"created_at"?: string,"details"?: NonNullable<Json>,"id"?: never,"ip"?: unknown,"on_behalf_of_user_id"?: string | null,"target_id"?: string | null,"target_table"?: string | null
                  }
                  Relationships: [
                    
                  ]
                },"billing_rules": {
                  Row: {
                    "description": string,"min_count": number | null,"rule": string,"threshold": number,"updated_at": string,"within": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "description": string,"min_count"?: number | null,"rule": string,"threshold": number,"updated_at"?: string,"within"?: string | null
                  }
                  Update: {
                    "description"?: string,"min_count"?: number | null,"rule"?: string,"threshold"?: number,"updated_at"?: string,"within"?: string | null
                  }
                  Relationships: [
                    
                  ]
                },"black_box_events": {
                  Row: {
                    "created_at": string,"event_type": string,"id": number,"payload": NonNullable<Json>,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"event_type": string,"id"?: never,"payload"?: NonNullable<Json>,"user_id"?: string
                  }
                  Update: {
                    "created_at"?: string,"event_type"?: string,"id"?: never,"payload"?: NonNullable<Json>,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"call_recordings": {
                  Row: {
                    "analysis": Json | null,"call_id": string,"call_successful": boolean | null,"created_at": string,"duration_seconds": number | null,"id": string,"recording_url": string | null,"sentiment": string | null,"summary": string | null,"transcript": string | null,"transcript_object": Json | null,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "analysis"?: Json | null,"call_id": string,"call_successful"?: boolean | null,"created_at"?: string,"duration_seconds"?: number | null,"id"?: string,"recording_url"?: string | null,"sentiment"?: string | null,"summary"?: string | null,"transcript"?: string | null,"transcript_object"?: Json | null,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "analysis"?: Json | null,"call_id"?: string,"call_successful"?: boolean | null,"created_at"?: string,"duration_seconds"?: number | null,"id"?: string,"recording_url"?: string | null,"sentiment"?: string | null,"summary"?: string | null,"transcript"?: string | null,"transcript_object"?: Json | null,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "call_recordings_call_id_fkey"
      columns: ["call_id"]
isOneToOne: true
      referencedRelation: "calls"
      referencedColumns: ["call_id"]
    }
                  ]
                },"call_text_backs": {
                  Row: {
                    "call_id": string,"created_at": string,"customer_phone": string,"id": string,"local_day": string,"message_id": string | null,"reason": string,"skip_reason": string | null,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "call_id": string,"created_at"?: string,"customer_phone": string,"id"?: string,"local_day": string,"message_id"?: string | null,"reason": string,"skip_reason"?: string | null,"user_id": string
                  }
                  Update: {
                    "call_id"?: string,"created_at"?: string,"customer_phone"?: string,"id"?: string,"local_day"?: string,"message_id"?: string | null,"reason"?: string,"skip_reason"?: string | null,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "call_text_backs_call_id_fkey"
      columns: ["call_id"]
isOneToOne: true
      referencedRelation: "calls"
      referencedColumns: ["call_id"]
    },{
      foreignKeyName: "call_text_backs_message_id_fkey"
      columns: ["message_id"]
isOneToOne: false
      referencedRelation: "sms_messages"
      referencedColumns: ["id"]
    }
                  ]
                },"caller_blocks": {
                  Row: {
                    "created_at": string,"id": number,"note": string | null,"phone": string,"user_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"id"?: never,"note"?: string | null,"phone": string,"user_id"?: string | null
                  }
                  Update: {
                    "created_at"?: string,"id"?: never,"note"?: string | null,"phone"?: string,"user_id"?: string | null
                  }
                  Relationships: [
                    
                  ]
                },"calls": {
                  Row: {
                    "agent_id": string | null,"agent_version": number | null,"analyzed_at": string | null,"call_id": string,"created_at": string,"direction": string,"disconnection_reason": string | null,"duration_ms": number | null,"ended_at": string | null,"from_number": string | null,"is_demo": boolean,"refusal_reason": string | null,"started_at": string | null,"status": string,"to_number": string | null,"transferred": boolean,"updated_at": string,"user_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "agent_id"?: string | null,"agent_version"?: number | null,"analyzed_at"?: string | null,"call_id": string,"created_at"?: string,"direction"?: string,"disconnection_reason"?: string | null,"duration_ms"?: number | null,"ended_at"?: string | null,"from_number"?: string | null,"is_demo"?: boolean,"refusal_reason"?: string | null,"started_at"?: string | null,"status"?: string,"to_number"?: string | null,"transferred"?: boolean,"updated_at"?: string,"user_id"?: string | null
                  }
                  Update: {
                    "agent_id"?: string | null,"agent_version"?: number | null,"analyzed_at"?: string | null,"call_id"?: string,"created_at"?: string,"direction"?: string,"disconnection_reason"?: string | null,"duration_ms"?: number | null,"ended_at"?: string | null,"from_number"?: string | null,"is_demo"?: boolean,"refusal_reason"?: string | null,"started_at"?: string | null,"status"?: string,"to_number"?: string | null,"transferred"?: boolean,"updated_at"?: string,"user_id"?: string | null
                  }
                  Relationships: [
                    
                  ]
                },"churn_alerts": {
                  Row: {
                    "acknowledged_at": string | null,"acknowledged_by": string | null,"created_at": string,"details": NonNullable<Json>,"id": string,"reason": string,"resolved_at": string | null,"severity": string,"status": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "acknowledged_at"?: string | null,"acknowledged_by"?: string | null,"created_at"?: string,"details"?: NonNullable<Json>,"id"?: string,"reason": string,"resolved_at"?: string | null,"severity"?: string,"status"?: string,"user_id": string
                  }
                  Update: {
                    "acknowledged_at"?: string | null,"acknowledged_by"?: string | null,"created_at"?: string,"details"?: NonNullable<Json>,"id"?: string,"reason"?: string,"resolved_at"?: string | null,"severity"?: string,"status"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"consent_logs": {
                  Row: {
                    "accepted_at": string,"consent_type": string,"consent_version": string,"id": number,"ip": unknown,"user_agent": string | null,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "accepted_at"?: string,"consent_type"?: string,"consent_version": string,"id"?: never,"ip"?: unknown,"user_agent"?: string | null,"user_id": string
                  }
                  Update: {
                    "accepted_at"?: string,"consent_type"?: string,"consent_version"?: string,"id"?: never,"ip"?: unknown,"user_agent"?: string | null,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"customer_health_score_history": {
                  Row: {
                    "band": string,"calculated_at": string,"factors": NonNullable<Json>,"id": number,"profile": string,"score": number,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "band": string,"calculated_at"?: string,"factors": NonNullable<Json>,"id"?: never,"profile": string,"score": number,"user_id": string
                  }
                  Update: {
                    "band"?: string,"calculated_at"?: string,"factors"?: NonNullable<Json>,"id"?: never,"profile"?: string,"score"?: number,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"customer_health_scores": {
                  Row: {
                    "band": string,"calculated_at": string,"factors": NonNullable<Json>,"profile": string,"score": number,"trend_30d": number | null,"trend_7d": number | null,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "band"?: string,"calculated_at"?: string,"factors"?: NonNullable<Json>,"profile"?: string,"score": number,"trend_30d"?: number | null,"trend_7d"?: number | null,"user_id": string
                  }
                  Update: {
                    "band"?: string,"calculated_at"?: string,"factors"?: NonNullable<Json>,"profile"?: string,"score"?: number,"trend_30d"?: number | null,"trend_7d"?: number | null,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"customers": {
                  Row: {
                    "created_at": string,"email": string | null,"first_seen_at": string,"id": string,"last_seen_at": string,"name": string | null,"notes": string | null,"phone": string,"sms_opted_out_at": string | null,"total_calls": number,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"email"?: string | null,"first_seen_at"?: string,"id"?: string,"last_seen_at"?: string,"name"?: string | null,"notes"?: string | null,"phone": string,"sms_opted_out_at"?: string | null,"total_calls"?: number,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"email"?: string | null,"first_seen_at"?: string,"id"?: string,"last_seen_at"?: string,"name"?: string | null,"notes"?: string | null,"phone"?: string,"sms_opted_out_at"?: string | null,"total_calls"?: number,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"dedicated_agent_health": {
                  Row: {
                    "checked_at": string,"healthy": boolean,"problems": (string)[],"recent_calls": number,"recent_error_calls": number,"retell_agent_id": string,"retell_agent_version": number | null,"unhealthy_since": string | null,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "checked_at"?: string,"healthy"?: boolean,"problems"?: (string)[],"recent_calls"?: number,"recent_error_calls"?: number,"retell_agent_id": string,"retell_agent_version"?: number | null,"unhealthy_since"?: string | null,"user_id": string
                  }
                  Update: {
                    "checked_at"?: string,"healthy"?: boolean,"problems"?: (string)[],"recent_calls"?: number,"recent_error_calls"?: number,"retell_agent_id"?: string,"retell_agent_version"?: number | null,"unhealthy_since"?: string | null,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"dialer_queue": {
                  Row: {
                    "attempts": number,"business_name": string | null,"contact_name": string | null,"created_at": string,"created_by": string | null,"id": string,"last_called_at": string | null,"notes": string | null,"outcome": string | null,"phone": string,"scheduled_at": string,"status": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "attempts"?: number,"business_name"?: string | null,"contact_name"?: string | null,"created_at"?: string,"created_by"?: string | null,"id"?: string,"last_called_at"?: string | null,"notes"?: string | null,"outcome"?: string | null,"phone": string,"scheduled_at"?: string,"status"?: string,"updated_at"?: string
                  }
                  Update: {
                    "attempts"?: number,"business_name"?: string | null,"contact_name"?: string | null,"created_at"?: string,"created_by"?: string | null,"id"?: string,"last_called_at"?: string | null,"notes"?: string | null,"outcome"?: string | null,"phone"?: string,"scheduled_at"?: string,"status"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"error_logs": {
                  Row: {
                    "context": NonNullable<Json>,"created_at": string,"id": number,"message": string,"request_id": string | null,"source": string,"user_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "context"?: NonNullable<Json>,"created_at"?: string,"id"?: never,"message": string,"request_id"?: string | null,"source": string,"user_id"?: string | null
                  }
                  Update: {
                    "context"?: NonNullable<Json>,"created_at"?: string,"id"?: never,"message"?: string,"request_id"?: string | null,"source"?: string,"user_id"?: string | null
                  }
                  Relationships: [
                    
                  ]
                },"impersonation_sessions": {
                  Row: {
                    "admin_user_id": string,"ended_at": string | null,"expires_at": string,"id": string,"reason": string,"started_at": string,"target_user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "admin_user_id": string,"ended_at"?: string | null,"expires_at": string,"id"?: string,"reason": string,"started_at"?: string,"target_user_id": string
                  }
                  Update: {
                    "admin_user_id"?: string,"ended_at"?: string | null,"expires_at"?: string,"id"?: string,"reason"?: string,"started_at"?: string,"target_user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"inbound_webhook_events": {
                  Row: {
                    "event_id": string,"event_type": string,"processed_at": string | null,"provider": string,"received_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "event_id": string,"event_type": string,"processed_at"?: string | null,"provider": string,"received_at"?: string
                  }
                  Update: {
                    "event_id"?: string,"event_type"?: string,"processed_at"?: string | null,"provider"?: string,"received_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"integrations": {
                  Row: {
                    "access_token_encrypted": string | null,"booking_url": string | null,"connected_at": string | null,"created_at": string,"default_event_type_id": number | null,"external_email": string | null,"external_user_id": string | null,"external_username": string | null,"id": string,"provider": string,"refresh_token_encrypted": string | null,"scopes": (string)[],"status": string,"time_zone": string | null,"token_expires_at": string | null,"token_key_id": string | null,"token_refresh_claimed_until": string | null,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "access_token_encrypted"?: string | null,"booking_url"?: string | null,"connected_at"?: string | null,"created_at"?: string,"default_event_type_id"?: number | null,"external_email"?: string | null,"external_user_id"?: string | null,"external_username"?: string | null,"id"?: string,"provider": string,"refresh_token_encrypted"?: string | null,"scopes"?: (string)[],"status"?: string,"time_zone"?: string | null,"token_expires_at"?: string | null,"token_key_id"?: string | null,"token_refresh_claimed_until"?: string | null,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "access_token_encrypted"?: string | null,"booking_url"?: string | null,"connected_at"?: string | null,"created_at"?: string,"default_event_type_id"?: number | null,"external_email"?: string | null,"external_user_id"?: string | null,"external_username"?: string | null,"id"?: string,"provider"?: string,"refresh_token_encrypted"?: string | null,"scopes"?: (string)[],"status"?: string,"time_zone"?: string | null,"token_expires_at"?: string | null,"token_key_id"?: string | null,"token_refresh_claimed_until"?: string | null,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"leads": {
                  Row: {
                    "call_id": string | null,"created_at": string,"customer_id": string | null,"email": string | null,"flag_reason": string | null,"flagged": boolean,"id": string,"name": string | null,"phone": string | null,"service_needed": string | null,"status": string,"summary": string | null,"updated_at": string,"urgency": string | null,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "call_id"?: string | null,"created_at"?: string,"customer_id"?: string | null,"email"?: string | null,"flag_reason"?: string | null,"flagged"?: boolean,"id"?: string,"name"?: string | null,"phone"?: string | null,"service_needed"?: string | null,"status"?: string,"summary"?: string | null,"updated_at"?: string,"urgency"?: string | null,"user_id": string
                  }
                  Update: {
                    "call_id"?: string | null,"created_at"?: string,"customer_id"?: string | null,"email"?: string | null,"flag_reason"?: string | null,"flagged"?: boolean,"id"?: string,"name"?: string | null,"phone"?: string | null,"service_needed"?: string | null,"status"?: string,"summary"?: string | null,"updated_at"?: string,"urgency"?: string | null,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "leads_call_id_fkey"
      columns: ["call_id"]
isOneToOne: true
      referencedRelation: "calls"
      referencedColumns: ["call_id"]
    },{
      foreignKeyName: "leads_customer_id_fkey"
      columns: ["customer_id"]
isOneToOne: false
      referencedRelation: "customers"
      referencedColumns: ["id"]
    }
                  ]
                },"master_agents": {
                  Row: {
                    "checked_at": string,"fallback_agent_id": string | null,"healthy": boolean,"industry": string,"problems": (string)[],"recent_calls": number,"recent_error_calls": number,"retell_agent_id": string,"retell_agent_version": number | null,"template_checked_at": string | null,"template_hash": string | null,"template_llm_id": string | null,"template_llm_version": number | null,"template_push_started_at": string | null,"template_version": number | null,"unhealthy_since": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "checked_at"?: string,"fallback_agent_id"?: string | null,"healthy"?: boolean,"industry": string,"problems"?: (string)[],"recent_calls"?: number,"recent_error_calls"?: number,"retell_agent_id": string,"retell_agent_version"?: number | null,"template_checked_at"?: string | null,"template_hash"?: string | null,"template_llm_id"?: string | null,"template_llm_version"?: number | null,"template_push_started_at"?: string | null,"template_version"?: number | null,"unhealthy_since"?: string | null
                  }
                  Update: {
                    "checked_at"?: string,"fallback_agent_id"?: string | null,"healthy"?: boolean,"industry"?: string,"problems"?: (string)[],"recent_calls"?: number,"recent_error_calls"?: number,"retell_agent_id"?: string,"retell_agent_version"?: number | null,"template_checked_at"?: string | null,"template_hash"?: string | null,"template_llm_id"?: string | null,"template_llm_version"?: number | null,"template_push_started_at"?: string | null,"template_version"?: number | null,"unhealthy_since"?: string | null
                  }
                  Relationships: [
                    
                  ]
                },"master_rollout_numbers": {
                  Row: {
                    "bound_at": string,"missing_at_retell": boolean,"phone_number": string,"rollout_id": string,"user_id": string,"weight": number
                  }
                  ComputedFields: never
                  Insert: {
                    "bound_at"?: string,"missing_at_retell"?: boolean,"phone_number": string,"rollout_id": string,"user_id": string,"weight": number
                  }
                  Update: {
                    "bound_at"?: string,"missing_at_retell"?: boolean,"phone_number"?: string,"rollout_id"?: string,"user_id"?: string,"weight"?: number
                  }
                  Relationships: [
                    {
      foreignKeyName: "master_rollout_numbers_rollout_id_fkey"
      columns: ["rollout_id"]
isOneToOne: false
      referencedRelation: "master_rollouts"
      referencedColumns: ["id"]
    }
                  ]
                },"master_rollout_rules": {
                  Row: {
                    "industry": string,"max_extra_error_share": number,"max_extra_short_share": number,"max_extra_tool_failure_share": number,"min_calls_per_stage": number,"min_calls_to_compare": number,"min_stage_minutes": number,"short_call_ratio": number,"stage_weights": (number)[]
                  }
                  ComputedFields: never
                  Insert: {
                    "industry": string,"max_extra_error_share"?: number,"max_extra_short_share"?: number,"max_extra_tool_failure_share"?: number,"min_calls_per_stage"?: number,"min_calls_to_compare"?: number,"min_stage_minutes"?: number,"short_call_ratio"?: number,"stage_weights"?: (number)[]
                  }
                  Update: {
                    "industry"?: string,"max_extra_error_share"?: number,"max_extra_short_share"?: number,"max_extra_tool_failure_share"?: number,"min_calls_per_stage"?: number,"min_calls_to_compare"?: number,"min_stage_minutes"?: number,"short_call_ratio"?: number,"stage_weights"?: (number)[]
                  }
                  Relationships: [
                    
                  ]
                },"master_rollouts": {
                  Row: {
                    "agent_id": string,"comparison": Json | null,"created_at": string,"finished_at": string | null,"from_version": number,"halt_reason": string | null,"id": string,"industry": string,"stage": number,"stage_bound_at": string | null,"stage_started_at": string | null,"stage_weights": (number)[],"started_by": string | null,"status": string,"target_weight": number,"to_version": number | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "agent_id": string,"comparison"?: Json | null,"created_at"?: string,"finished_at"?: string | null,"from_version": number,"halt_reason"?: string | null,"id"?: string,"industry": string,"stage"?: number,"stage_bound_at"?: string | null,"stage_started_at"?: string | null,"stage_weights": (number)[],"started_by"?: string | null,"status"?: string,"target_weight"?: number,"to_version"?: number | null,"updated_at"?: string
                  }
                  Update: {
                    "agent_id"?: string,"comparison"?: Json | null,"created_at"?: string,"finished_at"?: string | null,"from_version"?: number,"halt_reason"?: string | null,"id"?: string,"industry"?: string,"stage"?: number,"stage_bound_at"?: string | null,"stage_started_at"?: string | null,"stage_weights"?: (number)[],"started_by"?: string | null,"status"?: string,"target_weight"?: number,"to_version"?: number | null,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"ops_alerts": {
                  Row: {
                    "created_at": string,"dedupe_key": string | null,"details": NonNullable<Json>,"id": string,"kind": string,"message": string,"resolved_at": string | null,"severity": string,"user_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"dedupe_key"?: string | null,"details"?: NonNullable<Json>,"id"?: string,"kind": string,"message": string,"resolved_at"?: string | null,"severity"?: string,"user_id"?: string | null
                  }
                  Update: {
                    "created_at"?: string,"dedupe_key"?: string | null,"details"?: NonNullable<Json>,"id"?: string,"kind"?: string,"message"?: string,"resolved_at"?: string | null,"severity"?: string,"user_id"?: string | null
                  }
                  Relationships: [
                    
                  ]
                },"payout_requests": {
                  Row: {
                    "amount_cents": number,"created_at": string,"decided_at": string | null,"decided_by": string | null,"destination": string,"id": string,"method": string,"paid_at": string | null,"status": string,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "amount_cents": number,"created_at"?: string,"decided_at"?: string | null,"decided_by"?: string | null,"destination": string,"id"?: string,"method": string,"paid_at"?: string | null,"status"?: string,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "amount_cents"?: number,"created_at"?: string,"decided_at"?: string | null,"decided_by"?: string | null,"destination"?: string,"id"?: string,"method"?: string,"paid_at"?: string | null,"status"?: string,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"plans": {
                  Row: {
                    "call_minutes": number,"id": string,"name": string,"overage_policy": string,"sms": number,"sort_order": number
                  }
                  ComputedFields: never
                  Insert: {
                    "call_minutes": number,"id": string,"name": string,"overage_policy": string,"sms": number,"sort_order": number
                  }
                  Update: {
                    "call_minutes"?: number,"id"?: string,"name"?: string,"overage_policy"?: string,"sms"?: number,"sort_order"?: number
                  }
                  Relationships: [
                    
                  ]
                },"profiles": {
                  Row: {
                    "agent_tone": string,"area_code": string | null,"business_hours": NonNullable<Json>,"business_name": string | null,"business_phone": string | null,"consent_accepted_at": string | null,"consent_version": string | null,"created_at": string,"deploy_error": string | null,"email": string | null,"emergency_fee": number | null,"full_name": string | null,"id": string,"industry": string | null,"last_activity_at": string | null,"notify_email": boolean,"notify_sms": boolean,"referral_code": string,"schedule_summary": string | null,"sms_booking_confirmations": boolean,"standard_fee": number | null,"text_back_enabled": boolean,"text_back_message": string | null,"time_zone": string,"transfer_number": string | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "agent_tone"?: string,"area_code"?: string | null,"business_hours"?: NonNullable<Json>,"business_name"?: string | null,"business_phone"?: string | null,"consent_accepted_at"?: string | null,"consent_version"?: string | null,"created_at"?: string,"deploy_error"?: string | null,"email"?: string | null,"emergency_fee"?: number | null,"full_name"?: string | null,"id": string,"industry"?: string | null,"last_activity_at"?: string | null,"notify_email"?: boolean,"notify_sms"?: boolean,"referral_code"?: string,"schedule_summary"?: string | null,"sms_booking_confirmations"?: boolean,"standard_fee"?: number | null,"text_back_enabled"?: boolean,"text_back_message"?: string | null,"time_zone"?: string,"transfer_number"?: string | null,"updated_at"?: string
                  }
                  Update: {
                    "agent_tone"?: string,"area_code"?: string | null,"business_hours"?: NonNullable<Json>,"business_name"?: string | null,"business_phone"?: string | null,"consent_accepted_at"?: string | null,"consent_version"?: string | null,"created_at"?: string,"deploy_error"?: string | null,"email"?: string | null,"emergency_fee"?: number | null,"full_name"?: string | null,"id"?: string,"industry"?: string | null,"last_activity_at"?: string | null,"notify_email"?: boolean,"notify_sms"?: boolean,"referral_code"?: string,"schedule_summary"?: string | null,"sms_booking_confirmations"?: boolean,"standard_fee"?: number | null,"text_back_enabled"?: boolean,"text_back_message"?: string | null,"time_zone"?: string,"transfer_number"?: string | null,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"prompt_templates": {
                  Row: {
                    "begin_message": string | null,"created_at": string,"dynamic_variables": (string)[],"general_prompt": string,"general_tools": NonNullable<Json>,"id": string,"industry": string,"version": number
                  }
                  ComputedFields: never
                  Insert: {
                    "begin_message"?: string | null,"created_at"?: string,"dynamic_variables"?: (string)[],"general_prompt": string,"general_tools"?: NonNullable<Json>,"id"?: string,"industry": string,"version": number
                  }
                  Update: {
                    "begin_message"?: string | null,"created_at"?: string,"dynamic_variables"?: (string)[],"general_prompt"?: string,"general_tools"?: NonNullable<Json>,"id"?: string,"industry"?: string,"version"?: number
                  }
                  Relationships: [
                    
                  ]
                },"rate_limit_counters": {
                  Row: {
                    "bucket": string,"hits": number,"window_start": string
                  }
                  ComputedFields: never
                  Insert: {
                    "bucket": string,"hits"?: number,"window_start": string
                  }
                  Update: {
                    "bucket"?: string,"hits"?: number,"window_start"?: string
                  }
                  Relationships: [
                    
                  ]
                },"reconciliation_runs": {
                  Row: {
                    "changes": NonNullable<Json>,"finished_at": string | null,"id": number,"note": string | null,"started_at": string,"status": string,"triggered_by": string,"triggered_by_user_id": string | null,"users_checked": number,"users_corrected": number
                  }
                  ComputedFields: never
                  Insert: {
                    "changes"?: NonNullable<Json>,"finished_at"?: string | null,"id"?: never,"note"?: string | null,"started_at"?: string,"status"?: string,"triggered_by": string,"triggered_by_user_id"?: string | null,"users_checked"?: number,"users_corrected"?: number
                  }
                  Update: {
                    "changes"?: NonNullable<Json>,"finished_at"?: string | null,"id"?: never,"note"?: string | null,"started_at"?: string,"status"?: string,"triggered_by"?: string,"triggered_by_user_id"?: string | null,"users_checked"?: number,"users_corrected"?: number
                  }
                  Relationships: [
                    
                  ]
                },"referral_settings": {
                  Row: {
                    "enabled": boolean,"id": boolean,"min_payout_cents": number,"reward_cents": number,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "enabled"?: boolean,"id"?: boolean,"min_payout_cents"?: number,"reward_cents"?: number,"updated_at"?: string
                  }
                  Update: {
                    "enabled"?: boolean,"id"?: boolean,"min_payout_cents"?: number,"reward_cents"?: number,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"referrals": {
                  Row: {
                    "code": string,"created_at": string,"decided_at": string | null,"decided_by": string | null,"id": string,"paid_at": string | null,"qualified_at": string | null,"referred_user_id": string,"referrer_user_id": string,"reward_cents": number,"status": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "code": string,"created_at"?: string,"decided_at"?: string | null,"decided_by"?: string | null,"id"?: string,"paid_at"?: string | null,"qualified_at"?: string | null,"referred_user_id": string,"referrer_user_id": string,"reward_cents": number,"status"?: string,"updated_at"?: string
                  }
                  Update: {
                    "code"?: string,"created_at"?: string,"decided_at"?: string | null,"decided_by"?: string | null,"id"?: string,"paid_at"?: string | null,"qualified_at"?: string | null,"referred_user_id"?: string,"referrer_user_id"?: string,"reward_cents"?: number,"status"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"sms_consent_events": {
                  Row: {
                    "consent_id": string,"created_at": string,"id": number,"message_id": string | null,"opted_out": boolean,"provider_error": string | null,"source": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "consent_id": string,"created_at"?: string,"id"?: never,"message_id"?: string | null,"opted_out": boolean,"provider_error"?: string | null,"source": string,"user_id": string
                  }
                  Update: {
                    "consent_id"?: string,"created_at"?: string,"id"?: never,"message_id"?: string | null,"opted_out"?: boolean,"provider_error"?: string | null,"source"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "sms_consent_events_consent_id_fkey"
      columns: ["consent_id"]
isOneToOne: false
      referencedRelation: "sms_consents"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "sms_consent_events_message_id_fkey"
      columns: ["message_id"]
isOneToOne: false
      referencedRelation: "sms_messages"
      referencedColumns: ["id"]
    }
                  ]
                },"sms_consents": {
                  Row: {
                    "business_number": string,"changed_at": string,"created_at": string,"customer_phone": string,"id": string,"opted_out": boolean,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "business_number": string,"changed_at"?: string,"created_at"?: string,"customer_phone": string,"id"?: string,"opted_out"?: boolean,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "business_number"?: string,"changed_at"?: string,"created_at"?: string,"customer_phone"?: string,"id"?: string,"opted_out"?: boolean,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"sms_conversations": {
                  Row: {
                    "business_number": string,"created_at": string,"customer_phone": string,"id": string,"last_message_at": string | null,"owner_read_at": string | null,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "business_number": string,"created_at"?: string,"customer_phone": string,"id"?: string,"last_message_at"?: string | null,"owner_read_at"?: string | null,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "business_number"?: string,"created_at"?: string,"customer_phone"?: string,"id"?: string,"last_message_at"?: string | null,"owner_read_at"?: string | null,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"sms_messages": {
                  Row: {
                    "automatic": boolean,"body": string,"conversation_id": string,"created_at": string,"direction": string,"error_code": string | null,"from_number": string,"id": string,"idempotency_key": string | null,"kind": string | null,"provider": string,"provider_message_id": string | null,"segments": number | null,"send_attempts": number,"send_claimed_until": string | null,"status": string,"to_number": string,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "automatic"?: boolean,"body": string,"conversation_id": string,"created_at"?: string,"direction": string,"error_code"?: string | null,"from_number": string,"id"?: string,"idempotency_key"?: string | null,"kind"?: string | null,"provider": string,"provider_message_id"?: string | null,"segments"?: number | null,"send_attempts"?: number,"send_claimed_until"?: string | null,"status"?: string,"to_number": string,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "automatic"?: boolean,"body"?: string,"conversation_id"?: string,"created_at"?: string,"direction"?: string,"error_code"?: string | null,"from_number"?: string,"id"?: string,"idempotency_key"?: string | null,"kind"?: string | null,"provider"?: string,"provider_message_id"?: string | null,"segments"?: number | null,"send_attempts"?: number,"send_claimed_until"?: string | null,"status"?: string,"to_number"?: string,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "sms_messages_conversation_id_fkey"
      columns: ["conversation_id"]
isOneToOne: false
      referencedRelation: "sms_conversation_summaries"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "sms_messages_conversation_id_fkey"
      columns: ["conversation_id"]
isOneToOne: false
      referencedRelation: "sms_conversations"
      referencedColumns: ["id"]
    }
                  ]
                },"subscriptions": {
                  Row: {
                    "cancel_at_period_end": boolean,"canceled_at": string | null,"created_at": string,"current_period_end": string | null,"current_period_start": string | null,"id": string,"last_event_at": string | null,"plan": string,"status": string,"stripe_customer_id": string | null,"stripe_subscription_id": string | null,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "cancel_at_period_end"?: boolean,"canceled_at"?: string | null,"created_at"?: string,"current_period_end"?: string | null,"current_period_start"?: string | null,"id"?: string,"last_event_at"?: string | null,"plan": string,"status": string,"stripe_customer_id"?: string | null,"stripe_subscription_id"?: string | null,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "cancel_at_period_end"?: boolean,"canceled_at"?: string | null,"created_at"?: string,"current_period_end"?: string | null,"current_period_start"?: string | null,"id"?: string,"last_event_at"?: string | null,"plan"?: string,"status"?: string,"stripe_customer_id"?: string | null,"stripe_subscription_id"?: string | null,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "subscriptions_plan_fkey"
      columns: ["plan"]
isOneToOne: false
      referencedRelation: "plans"
      referencedColumns: ["id"]
    }
                  ]
                },"suspected_robocallers": {
                  Row: {
                    "first_seen_at": string,"last_seen_at": string,"phone": string,"short_calls": number,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "first_seen_at": string,"last_seen_at": string,"phone": string,"short_calls": number,"user_id": string
                  }
                  Update: {
                    "first_seen_at"?: string,"last_seen_at"?: string,"phone"?: string,"short_calls"?: number,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"tool_invocations": {
                  Row: {
                    "args": NonNullable<Json>,"args_hash": string,"attempts": number,"call_id": string,"claimed_at": string,"completed_at": string | null,"created_at": string,"result": Json | null,"tool_name": string,"user_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "args": NonNullable<Json>,"args_hash": string,"attempts"?: number,"call_id": string,"claimed_at"?: string,"completed_at"?: string | null,"created_at"?: string,"result"?: Json | null,"tool_name": string,"user_id"?: string | null
                  }
                  Update: {
                    "args"?: NonNullable<Json>,"args_hash"?: string,"attempts"?: number,"call_id"?: string,"claimed_at"?: string,"completed_at"?: string | null,"created_at"?: string,"result"?: Json | null,"tool_name"?: string,"user_id"?: string | null
                  }
                  Relationships: [
                    
                  ]
                },"topup_products": {
                  Row: {
                    "call_minutes": number,"id": string,"name": string,"sms": number
                  }
                  ComputedFields: never
                  Insert: {
                    "call_minutes"?: number,"id": string,"name": string,"sms"?: number
                  }
                  Update: {
                    "call_minutes"?: number,"id"?: string,"name"?: string,"sms"?: number
                  }
                  Relationships: [
                    
                  ]
                },"topup_purchases": {
                  Row: {
                    "call_minutes": number,"id": number,"product": string,"purchased_at": string,"sms": number,"stripe_checkout_session_id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "call_minutes": number,"id"?: never,"product": string,"purchased_at"?: string,"sms": number,"stripe_checkout_session_id": string,"user_id": string
                  }
                  Update: {
                    "call_minutes"?: number,"id"?: never,"product"?: string,"purchased_at"?: string,"sms"?: number,"stripe_checkout_session_id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "topup_purchases_product_fkey"
      columns: ["product"]
isOneToOne: false
      referencedRelation: "topup_products"
      referencedColumns: ["id"]
    }
                  ]
                },"tracking_points": {
                  Row: {
                    "id": number,"latitude": number,"longitude": number,"recorded_at": string,"session_id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "id"?: never,"latitude": number,"longitude": number,"recorded_at"?: string,"session_id": string,"user_id"?: string
                  }
                  Update: {
                    "id"?: never,"latitude"?: number,"longitude"?: number,"recorded_at"?: string,"session_id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "tracking_points_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "tracking_sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"tracking_sessions": {
                  Row: {
                    "appointment_id": string | null,"created_at": string,"expires_at": string,"id": string,"status": string,"technician_name": string | null,"token": string,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "appointment_id"?: string | null,"created_at"?: string,"expires_at"?: string,"id"?: string,"status"?: string,"technician_name"?: string | null,"token"?: string,"updated_at"?: string,"user_id"?: string
                  }
                  Update: {
                    "appointment_id"?: string | null,"created_at"?: string,"expires_at"?: string,"id"?: string,"status"?: string,"technician_name"?: string | null,"token"?: string,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "tracking_sessions_appointment_id_fkey"
      columns: ["appointment_id"]
isOneToOne: false
      referencedRelation: "appointments"
      referencedColumns: ["id"]
    }
                  ]
                },"usage_calls": {
                  Row: {
                    "billable_minutes": number,"call_id": string,"created_at": string,"credited_at": string | null,"credited_minutes": number,"duration_seconds": number,"id": number,"occurred_at": string,"plan_minutes": number,"topup_minutes": number,"unbilled_reason": string | null,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "billable_minutes": number,"call_id": string,"created_at"?: string,"credited_at"?: string | null,"credited_minutes"?: number,"duration_seconds": number,"id"?: never,"occurred_at"?: string,"plan_minutes"?: number,"topup_minutes"?: number,"unbilled_reason"?: string | null,"user_id": string
                  }
                  Update: {
                    "billable_minutes"?: number,"call_id"?: string,"created_at"?: string,"credited_at"?: string | null,"credited_minutes"?: number,"duration_seconds"?: number,"id"?: never,"occurred_at"?: string,"plan_minutes"?: number,"topup_minutes"?: number,"unbilled_reason"?: string | null,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"usage_limits": {
                  Row: {
                    "call_minutes_allowance": number,"call_minutes_used": number,"calls_count": number,"cap_reached_at": string | null,"period_end": string,"period_start": string,"sms_allowance": number,"sms_used": number,"topup_call_minutes": number,"topup_sms": number,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "call_minutes_allowance": number,"call_minutes_used"?: number,"calls_count"?: number,"cap_reached_at"?: string | null,"period_end": string,"period_start": string,"sms_allowance": number,"sms_used"?: number,"topup_call_minutes"?: number,"topup_sms"?: number,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "call_minutes_allowance"?: number,"call_minutes_used"?: number,"calls_count"?: number,"cap_reached_at"?: string | null,"period_end"?: string,"period_start"?: string,"sms_allowance"?: number,"sms_used"?: number,"topup_call_minutes"?: number,"topup_sms"?: number,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"usage_sms": {
                  Row: {
                    "created_at": string,"direction": string,"from_plan": number,"from_topup": number,"id": number,"message_id": string,"occurred_at": string,"segments": number,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"direction": string,"from_plan"?: number,"from_topup"?: number,"id"?: never,"message_id": string,"occurred_at"?: string,"segments"?: number,"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"direction"?: string,"from_plan"?: number,"from_topup"?: number,"id"?: never,"message_id"?: string,"occurred_at"?: string,"segments"?: number,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"usage_warnings": {
                  Row: {
                    "kind": string,"percent": number,"period_start": string,"reached_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "kind": string,"percent": number,"period_start": string,"reached_at"?: string,"user_id": string
                  }
                  Update: {
                    "kind"?: string,"percent"?: number,"period_start"?: string,"reached_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"webhook_configs": {
                  Row: {
                    "active": boolean,"created_at": string,"description": string | null,"disabled_at": string | null,"disabled_reason": string | null,"events": (string)[],"failing_since": string | null,"id": string,"last_success_at": string | null,"previous_secret": string | null,"previous_secret_expires_at": string | null,"secret": string,"updated_at": string,"url": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "active"?: boolean,"created_at"?: string,"description"?: string | null,"disabled_at"?: string | null,"disabled_reason"?: string | null,"events"?: (string)[],"failing_since"?: string | null,"id"?: string,"last_success_at"?: string | null,"previous_secret"?: string | null,"previous_secret_expires_at"?: string | null,"secret"?: string,"updated_at"?: string,"url": string,"user_id"?: string
                  }
                  Update: {
                    "active"?: boolean,"created_at"?: string,"description"?: string | null,"disabled_at"?: string | null,"disabled_reason"?: string | null,"events"?: (string)[],"failing_since"?: string | null,"id"?: string,"last_success_at"?: string | null,"previous_secret"?: string | null,"previous_secret_expires_at"?: string | null,"secret"?: string,"updated_at"?: string,"url"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"webhook_deliveries": {
                  Row: {
                    "attempt": number,"created_at": string,"delivery_id": number,"duration_ms": number | null,"error": string | null,"id": number,"queue_id": number,"replay": boolean,"response_excerpt": string | null,"status_code": number | null,"user_id": string,"webhook_config_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "attempt": number,"created_at"?: string,"delivery_id": number,"duration_ms"?: number | null,"error"?: string | null,"id"?: never,"queue_id": number,"replay"?: boolean,"response_excerpt"?: string | null,"status_code"?: number | null,"user_id": string,"webhook_config_id"?: string | null
                  }
                  Update: {
                    "attempt"?: number,"created_at"?: string,"delivery_id"?: number,"duration_ms"?: number | null,"error"?: string | null,"id"?: never,"queue_id"?: number,"replay"?: boolean,"response_excerpt"?: string | null,"status_code"?: number | null,"user_id"?: string,"webhook_config_id"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "webhook_deliveries_delivery_id_fkey"
      columns: ["delivery_id"]
isOneToOne: false
      referencedRelation: "webhook_endpoint_deliveries"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "webhook_deliveries_queue_id_fkey"
      columns: ["queue_id"]
isOneToOne: false
      referencedRelation: "webhook_queue"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "webhook_deliveries_webhook_config_id_fkey"
      columns: ["webhook_config_id"]
isOneToOne: false
      referencedRelation: "webhook_configs"
      referencedColumns: ["id"]
    }
                  ]
                },"webhook_endpoint_deliveries": {
                  Row: {
                    "attempts": number,"claim_expires_at": string | null,"claim_id": string | null,"created_at": string,"dead_reason": string | null,"delivered_at": string | null,"event_id": number,"id": number,"last_error": string | null,"last_status_code": number | null,"message_id": string,"next_attempt_at": string,"replay": boolean,"status": string,"updated_at": string,"user_id": string,"webhook_config_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "attempts"?: number,"claim_expires_at"?: string | null,"claim_id"?: string | null,"created_at"?: string,"dead_reason"?: string | null,"delivered_at"?: string | null,"event_id": number,"id"?: never,"last_error"?: string | null,"last_status_code"?: number | null,"message_id"?: string,"next_attempt_at"?: string,"replay"?: boolean,"status"?: string,"updated_at"?: string,"user_id": string,"webhook_config_id": string
                  }
                  Update: {
                    "attempts"?: number,"claim_expires_at"?: string | null,"claim_id"?: string | null,"created_at"?: string,"dead_reason"?: string | null,"delivered_at"?: string | null,"event_id"?: number,"id"?: never,"last_error"?: string | null,"last_status_code"?: number | null,"message_id"?: string,"next_attempt_at"?: string,"replay"?: boolean,"status"?: string,"updated_at"?: string,"user_id"?: string,"webhook_config_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "webhook_endpoint_deliveries_event_id_fkey"
      columns: ["event_id"]
isOneToOne: false
      referencedRelation: "webhook_queue"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "webhook_endpoint_deliveries_webhook_config_id_fkey"
      columns: ["webhook_config_id"]
isOneToOne: false
      referencedRelation: "webhook_configs"
      referencedColumns: ["id"]
    }
                  ]
                },"webhook_queue": {
                  Row: {
                    "created_at": string,"dedupe_key": string,"event_type": string,"id": number,"payload": NonNullable<Json>,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"dedupe_key": string,"event_type": string,"id"?: never,"payload": NonNullable<Json>,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"dedupe_key"?: string,"event_type"?: string,"id"?: never,"payload"?: NonNullable<Json>,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                }
          }
          Views: {
            "sms_conversation_summaries": {
                  Row: {
                    "business_number": string,"customer_phone": string,"id": string,"last_message_at": string | null,"last_message_body": string | null,"last_message_direction": string | null,"last_message_status": string | null,"opted_out": boolean | null,"unread_count": number | null,"user_id": string
                  }
                  ComputedFields: never
                  Relationships: [
                    
                  ]
                }
          }
          Functions: {
            "admin_add_dialer_entry":
{ Args: { "business_name"?: string,"contact_name"?: string,"notes"?: string,"phone": string,"scheduled_at"?: string }; Returns: {
              "attempts": number,
"business_name": string | null,
"contact_name": string | null,
"created_at": string,
"created_by": string | null,
"id": string,
"last_called_at": string | null,
"notes": string | null,
"outcome": string | null,
"phone": string,
"scheduled_at": string,
"status": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "dialer_queue"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_businesses_at_risk":
{ Args: Record<PropertyKey, never>; Returns: {
              "alerts": Json,"band": string,"business_name": string,"email": string,"score": number,"trend_7d": number,"user_id": string
            }[]
                           },
"admin_check_quick_onboard":
{ Args: { "email": string,"plan": string }; Returns: undefined
                           },
"admin_dashboard_stats":
{ Args: { "days"?: number }; Returns: Json
                           },
"admin_decide_churn_alert":
{ Args: { "alert_id": string,"decision": string }; Returns: {
              "acknowledged_at": string | null,
"acknowledged_by": string | null,
"created_at": string,
"details": NonNullable<Json>,
"id": string,
"reason": string,
"resolved_at": string | null,
"severity": string,
"status": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "churn_alerts"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_decide_payout":
{ Args: { "decision": string,"payout_id": string }; Returns: {
              "amount_cents": number,
"created_at": string,
"decided_at": string | null,
"decided_by": string | null,
"destination": string,
"id": string,
"method": string,
"paid_at": string | null,
"status": string,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "payout_requests"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_decide_referral":
{ Args: { "decision": string,"referral_id": string }; Returns: {
              "code": string,
"created_at": string,
"decided_at": string | null,
"decided_by": string | null,
"id": string,
"paid_at": string | null,
"qualified_at": string | null,
"referred_user_id": string,
"referrer_user_id": string,
"reward_cents": number,
"status": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "referrals"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_dedicated_agent":
{ Args: { "target_user_id": string }; Returns: {
              "area_code_obtained": string | null,
"area_code_requested": string | null,
"area_codes_tried": (string)[],
"created_at": string,
"deploy_attempts": number,
"deploy_error_code": string | null,
"deploy_error_detail": string | null,
"deploy_requested_at": string | null,
"deploy_source": string | null,
"deploy_status": string,
"deployed_at": string | null,
"id": string,
"lease_expires_at": string | null,
"lease_id": string | null,
"master_version_pinned": boolean,
"model": string,
"next_attempt_at": string,
"number_purchase_started_at": string | null,
"phone_number": string | null,
"retell_agent_id": string | null,
"retell_agent_version": number | null,
"retell_llm_id": string | null,
"updated_at": string,
"user_id": string,
"waiting_for": (string)[]
            }
                          SetofOptions: {
        from: "*"
        to: "agents"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_end_impersonation":
{ Args: { "session_id": string }; Returns: boolean
                           },
"admin_list_users":
{ Args: { "max_rows"?: number,"search"?: string,"skip_rows"?: number }; Returns: {
              "business_name": string,"created_at": string,"deploy_status": string,"email": string,"industry": string,"is_admin": boolean,"phone_number": string,"plan": string,"subscription_status": string,"user_id": string
            }[]
                           },
"admin_pin_master_version":
{ Args: { "pinned": boolean,"target_user_id": string }; Returns: undefined
                           },
"admin_quick_onboard":
{ Args: { "agent_tone"?: string,"area_code": string,"business_hours"?: Json,"business_name": string,"business_phone"?: string,"consent_confirmed": boolean,"emergency_fee"?: number,"industry": string,"plan": string,"schedule_summary"?: string,"standard_fee"?: number,"target_user_id": string,"time_zone"?: string,"transfer_number"?: string }; Returns: {
              "area_code_obtained": string | null,
"area_code_requested": string | null,
"area_codes_tried": (string)[],
"created_at": string,
"deploy_attempts": number,
"deploy_error_code": string | null,
"deploy_error_detail": string | null,
"deploy_requested_at": string | null,
"deploy_source": string | null,
"deploy_status": string,
"deployed_at": string | null,
"id": string,
"lease_expires_at": string | null,
"lease_id": string | null,
"master_version_pinned": boolean,
"model": string,
"next_attempt_at": string,
"number_purchase_started_at": string | null,
"phone_number": string | null,
"retell_agent_id": string | null,
"retell_agent_version": number | null,
"retell_llm_id": string | null,
"updated_at": string,
"user_id": string,
"waiting_for": (string)[]
            }
                          SetofOptions: {
        from: "*"
        to: "agents"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_record_agent_version":
{ Args: { "agent_id": string,"agent_version": number,"changed_fields": (string)[],"target_user_id": string }; Returns: {
              "area_code_obtained": string | null,
"area_code_requested": string | null,
"area_codes_tried": (string)[],
"created_at": string,
"deploy_attempts": number,
"deploy_error_code": string | null,
"deploy_error_detail": string | null,
"deploy_requested_at": string | null,
"deploy_source": string | null,
"deploy_status": string,
"deployed_at": string | null,
"id": string,
"lease_expires_at": string | null,
"lease_id": string | null,
"master_version_pinned": boolean,
"model": string,
"next_attempt_at": string,
"number_purchase_started_at": string | null,
"phone_number": string | null,
"retell_agent_id": string | null,
"retell_agent_version": number | null,
"retell_llm_id": string | null,
"updated_at": string,
"user_id": string,
"waiting_for": (string)[]
            }
                          SetofOptions: {
        from: "*"
        to: "agents"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_remove_dialer_entry":
{ Args: { "entry_id": string }; Returns: {
              "attempts": number,
"business_name": string | null,
"contact_name": string | null,
"created_at": string,
"created_by": string | null,
"id": string,
"last_called_at": string | null,
"notes": string | null,
"outcome": string | null,
"phone": string,
"scheduled_at": string,
"status": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "dialer_queue"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_request_agent_deployment":
{ Args: { "agent_model"?: string,"target_user_id": string }; Returns: {
              "area_code_obtained": string | null,
"area_code_requested": string | null,
"area_codes_tried": (string)[],
"created_at": string,
"deploy_attempts": number,
"deploy_error_code": string | null,
"deploy_error_detail": string | null,
"deploy_requested_at": string | null,
"deploy_source": string | null,
"deploy_status": string,
"deployed_at": string | null,
"id": string,
"lease_expires_at": string | null,
"lease_id": string | null,
"master_version_pinned": boolean,
"model": string,
"next_attempt_at": string,
"number_purchase_started_at": string | null,
"phone_number": string | null,
"retell_agent_id": string | null,
"retell_agent_version": number | null,
"retell_llm_id": string | null,
"updated_at": string,
"user_id": string,
"waiting_for": (string)[]
            }
                          SetofOptions: {
        from: "*"
        to: "agents"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_resolve_ops_alert":
{ Args: { "alert_id": string }; Returns: boolean
                           },
"admin_roll_back_master_rollout":
{ Args: { "industry": string }; Returns: {
              "agent_id": string,
"comparison": Json | null,
"created_at": string,
"finished_at": string | null,
"from_version": number,
"halt_reason": string | null,
"id": string,
"industry": string,
"stage": number,
"stage_bound_at": string | null,
"stage_started_at": string | null,
"stage_weights": (number)[],
"started_by": string | null,
"status": string,
"target_weight": number,
"to_version": number | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "master_rollouts"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_save_prompt_template":
{ Args: { "begin_message"?: string,"dynamic_variables"?: (string)[],"general_prompt": string,"general_tools"?: Json,"industry": string }; Returns: {
              "begin_message": string | null,
"created_at": string,
"dynamic_variables": (string)[],
"general_prompt": string,
"general_tools": NonNullable<Json>,
"id": string,
"industry": string,
"version": number
            }
                          SetofOptions: {
        from: "*"
        to: "prompt_templates"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_set_access_code":
{ Args: { "code": string }; Returns: undefined
                           },
"admin_start_impersonation":
{ Args: { "minutes"?: number,"reason": string,"target_user_id": string }; Returns: {
              "admin_user_id": string,
"ended_at": string | null,
"expires_at": string,
"id": string,
"reason": string,
"started_at": string,
"target_user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "impersonation_sessions"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_start_master_rollout":
{ Args: { "industry": string,"stage_weights"?: (number)[],"to_version"?: number }; Returns: {
              "agent_id": string,
"comparison": Json | null,
"created_at": string,
"finished_at": string | null,
"from_version": number,
"halt_reason": string | null,
"id": string,
"industry": string,
"stage": number,
"stage_bound_at": string | null,
"stage_started_at": string | null,
"stage_weights": (number)[],
"started_by": string | null,
"status": string,
"target_weight": number,
"to_version": number | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "master_rollouts"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_trigger_reconciliation":
{ Args: Record<PropertyKey, never>; Returns: {
              "changes": NonNullable<Json>,
"finished_at": string | null,
"id": number,
"note": string | null,
"started_at": string,
"status": string,
"triggered_by": string,
"triggered_by_user_id": string | null,
"users_checked": number,
"users_corrected": number
            }
                          SetofOptions: {
        from: "*"
        to: "reconciliation_runs"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_update_billing_rule":
{ Args: { "min_count"?: number,"rule": string,"threshold"?: number,"within"?: string }; Returns: {
              "description": string,
"min_count": number | null,
"rule": string,
"threshold": number,
"updated_at": string,
"within": string | null
            }
                          SetofOptions: {
        from: "*"
        to: "billing_rules"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_update_dialer_entry":
{ Args: { "entry_id": string,"notes"?: string,"outcome"?: string,"scheduled_at"?: string,"status"?: string }; Returns: {
              "attempts": number,
"business_name": string | null,
"contact_name": string | null,
"created_at": string,
"created_by": string | null,
"id": string,
"last_called_at": string | null,
"notes": string | null,
"outcome": string | null,
"phone": string,
"scheduled_at": string,
"status": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "dialer_queue"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_update_referral_settings":
{ Args: { "enabled"?: boolean,"min_payout_cents"?: number,"reward_cents"?: number }; Returns: {
              "enabled": boolean,
"id": boolean,
"min_payout_cents": number,
"reward_cents": number,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "referral_settings"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_update_setting":
{ Args: { "setting_key": string,"setting_value": Json }; Returns: undefined
                           },
"analytics":
{ Args: { "days"?: number }; Returns: Json
                           },
"appointment_for_change":
{ Args: { "action": string,"appointment_id": string }; Returns: {
              "calcom_booking_uid": string,"end_at": string,"id": string,"start_at": string,"status": string,"time_zone": string,"user_id": string
            }[]
                           },
"assert_wizard_open":
{ Args: Record<PropertyKey, never>; Returns: undefined
                           },
"backend_prompt":
{ Args: { "to_number": string }; Returns: Json
                           },
"billing_customer":
{ Args: Record<PropertyKey, never>; Returns: {
              "email": string,"stripe_customer_id": string,"subscription_status": string,"user_id": string
            }[]
                           },
"calcom_acting_user":
{ Args: Record<PropertyKey, never>; Returns: string
                           },
"calcom_apply_booking_change":
{ Args: { "booking": Json,"change": string }; Returns: Json
                           },
"calcom_claim_booking_intent":
{ Args: { "call_id": string,"customer_name": string,"customer_phone": string,"event_type_id": number,"lease_seconds"?: number,"service"?: string,"start_at": string,"target_user": string }; Returns: {
              "appointment_id": string,"booking_uid": string,"claimed": boolean,"earlier_attempt_uncertain": boolean,"intent_id": string,"status": string
            }[]
                           },
"calcom_claim_token_refresh":
{ Args: { "integration_id": string,"lease_seconds"?: number,"seen_refresh_token": string }; Returns: boolean
                           },
"calcom_consume_oauth_state":
{ Args: { "state_hash": string }; Returns: {
              "problem": string,"user_id": string
            }[]
                           },
"calcom_ingest_booking_event":
{ Args: { "booking": Json,"event_at": string,"event_id": string,"trigger_event": string }; Returns: Json
                           },
"calcom_mark_needs_reauth":
{ Args: { "integration_id": string,"reason": string,"seen_refresh_token": string }; Returns: boolean
                           },
"calcom_release_booking_intent":
{ Args: { "error": string,"intent_id": string,"outcome": string }; Returns: boolean
                           },
"calcom_release_token_refresh":
{ Args: { "integration_id": string }; Returns: undefined
                           },
"calcom_save_connection":
{ Args: { "access_token_encrypted": string,"account": Json,"refresh_token_encrypted": string,"scopes": (string)[],"target_user": string,"token_expires_at": string,"token_key_id": string }; Returns: string
                           },
"calcom_save_refreshed_tokens":
{ Args: { "access_token_encrypted": string,"integration_id": string,"refresh_token_encrypted": string,"seen_refresh_token": string,"token_expires_at": string,"token_key_id": string }; Returns: boolean
                           },
"calcom_start_oauth":
{ Args: { "state_hash": string,"ttl_seconds"?: number }; Returns: string
                           },
"claim_queued_sms":
{ Args: { "max_messages"?: number }; Returns: {
              "body": string,"from_number": string,"id": string,"to_number": string
            }[]
                           },
"claim_tool_invocation":
{ Args: { "args": Json,"business_number"?: string,"call_id": string,"tool_name": string }; Returns: Json
                           },
"complete_tool_invocation":
{ Args: { "args_hash": string,"call_id": string,"result": Json,"tool_name": string }; Returns: Json
                           },
"consume_rate_limit":
{ Args: { "bucket": string,"max_hits": number,"window_seconds": number }; Returns: {
              "allowed": boolean,"retry_after_seconds": number
            }[]
                           },
"customer_history":
{ Args: { "customer_phone": string }; Returns: Json
                           },
"dashboard_stats":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"dedicated_agents_to_check":
{ Args: { "batch"?: number }; Returns: Json
                           },
"deploy_my_agent":
{ Args: { "agent_tone"?: string,"area_code": string,"business_hours"?: Json,"business_name": string,"emergency_fee"?: number,"industry": string,"schedule_summary"?: string,"standard_fee"?: number,"transfer_number"?: string }; Returns: {
              "area_code_obtained": string | null,
"area_code_requested": string | null,
"area_codes_tried": (string)[],
"created_at": string,
"deploy_attempts": number,
"deploy_error_code": string | null,
"deploy_error_detail": string | null,
"deploy_requested_at": string | null,
"deploy_source": string | null,
"deploy_status": string,
"deployed_at": string | null,
"id": string,
"lease_expires_at": string | null,
"lease_id": string | null,
"master_version_pinned": boolean,
"model": string,
"next_attempt_at": string,
"number_purchase_started_at": string | null,
"phone_number": string | null,
"retell_agent_id": string | null,
"retell_agent_version": number | null,
"retell_llm_id": string | null,
"updated_at": string,
"user_id": string,
"waiting_for": (string)[]
            }
                          SetofOptions: {
        from: "*"
        to: "agents"
        isOneToOne: true
        isSetofReturn: false
      } },
"deployment_begin_purchase":
{ Args: { "area_code": string,"lease": string,"target_user": string }; Returns: undefined
                           },
"deployment_claim":
{ Args: { "target_user": string }; Returns: {
              "area_code": string,"attempt": number,"business_name": string,"industry": string,"lease_id": string,"model": string,"purchase_outcome_unknown": boolean,"retell_agent_id": string,"retell_agent_version": number,"retell_llm_id": string
            }[]
                           },
"deployment_complete":
{ Args: { "adopted": boolean,"agent_id": string,"agent_version": number,"area_code": string,"lease": string,"phone_number": string,"target_user": string }; Returns: {
              "area_code_obtained": string | null,
"area_code_requested": string | null,
"area_codes_tried": (string)[],
"created_at": string,
"deploy_attempts": number,
"deploy_error_code": string | null,
"deploy_error_detail": string | null,
"deploy_requested_at": string | null,
"deploy_source": string | null,
"deploy_status": string,
"deployed_at": string | null,
"id": string,
"lease_expires_at": string | null,
"lease_id": string | null,
"master_version_pinned": boolean,
"model": string,
"next_attempt_at": string,
"number_purchase_started_at": string | null,
"phone_number": string | null,
"retell_agent_id": string | null,
"retell_agent_version": number | null,
"retell_llm_id": string | null,
"updated_at": string,
"user_id": string,
"waiting_for": (string)[]
            }
                          SetofOptions: {
        from: "*"
        to: "agents"
        isOneToOne: true
        isSetofReturn: false
      } },
"deployment_fail":
{ Args: { "error_code": string,"error_detail": string,"lease": string,"retryable": boolean,"target_user": string }; Returns: {
              "area_code_obtained": string | null,
"area_code_requested": string | null,
"area_codes_tried": (string)[],
"created_at": string,
"deploy_attempts": number,
"deploy_error_code": string | null,
"deploy_error_detail": string | null,
"deploy_requested_at": string | null,
"deploy_source": string | null,
"deploy_status": string,
"deployed_at": string | null,
"id": string,
"lease_expires_at": string | null,
"lease_id": string | null,
"master_version_pinned": boolean,
"model": string,
"next_attempt_at": string,
"number_purchase_started_at": string | null,
"phone_number": string | null,
"retell_agent_id": string | null,
"retell_agent_version": number | null,
"retell_llm_id": string | null,
"updated_at": string,
"user_id": string,
"waiting_for": (string)[]
            }
                          SetofOptions: {
        from: "*"
        to: "agents"
        isOneToOne: true
        isSetofReturn: false
      } },
"deployment_save_retell_agent":
{ Args: { "agent_id": string,"agent_version": number,"lease": string,"llm_id": string,"target_user": string }; Returns: undefined
                           },
"email_claim":
{ Args: { "max_emails"?: number }; Returns: {
              "business_name": string,"dedupe_key": string,"details": Json,"id": number,"kind": string,"to_email": string
            }[]
                           },
"email_done":
{ Args: { "email_id": number,"failure"?: string }; Returns: undefined
                           },
"finish_sms_send":
{ Args: { "error_code": string,"message_id": string,"provider_message_id": string }; Returns: Json
                           },
"health_check":
{ Args: Record<PropertyKey, never>; Returns: boolean
                           },
"inbound_call_context":
{ Args: { "call_id"?: string,"from_number"?: string,"to_number": string }; Returns: Json
                           },
"inbound_sms_context":
{ Args: { "body": string,"chat_id": string,"from_number": string,"to_number": string }; Returns: Json
                           },
"mark_call_spam":
{ Args: { "call_id": string }; Returns: Json
                           },
"mark_sms_conversation_read":
{ Args: { "conversation_id": string }; Returns: undefined
                           },
"master_binding":
{ Args: { "industry": string }; Returns: Json
                           },
"my_sessions":
{ Args: Record<PropertyKey, never>; Returns: {
              "created_at": string,"id": string,"ip": unknown,"is_current": boolean,"updated_at": string,"user_agent": string
            }[]
                           },
"public_settings":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"queue_owner_sms":
{ Args: { "body": string,"idempotency_key": string,"to_number": string }; Returns: Json
                           },
"record_call_event":
{ Args: { "call": Json,"event": string }; Returns: Json
                           },
"record_consent":
{ Args: { "kind"?: string,"version": string }; Returns: {
              "accepted_at": string,
"consent_type": string,
"consent_version": string,
"id": number,
"ip": unknown,
"user_agent": string | null,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "consent_logs"
        isOneToOne: true
        isSetofReturn: false
      } },
"record_dedicated_agent_health":
{ Args: { "retell_agent_id": string,"retell_agent_version": number,"retell_problems": (string)[],"target_user_id": string }; Returns: {
              "checked_at": string,
"healthy": boolean,
"problems": (string)[],
"recent_calls": number,
"recent_error_calls": number,
"retell_agent_id": string,
"retell_agent_version": number | null,
"unhealthy_since": string | null,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "dedicated_agent_health"
        isOneToOne: true
        isSetofReturn: false
      } },
"record_demo_call":
{ Args: { "agent_id"?: string,"call_id": string,"from_number": string,"to_number": string }; Returns: undefined
                           },
"record_master_agent_health":
{ Args: { "fallback_agent_id": string,"industry": string,"retell_agent_id": string,"retell_agent_version": number,"retell_problems": (string)[] }; Returns: {
              "checked_at": string,
"fallback_agent_id": string | null,
"healthy": boolean,
"industry": string,
"problems": (string)[],
"recent_calls": number,
"recent_error_calls": number,
"retell_agent_id": string,
"retell_agent_version": number | null,
"template_checked_at": string | null,
"template_hash": string | null,
"template_llm_id": string | null,
"template_llm_version": number | null,
"template_push_started_at": string | null,
"template_version": number | null,
"unhealthy_since": string | null
            }
                          SetofOptions: {
        from: "*"
        to: "master_agents"
        isOneToOne: true
        isSetofReturn: false
      } },
"record_rejected_webhook_event":
{ Args: { "body_sha256": string,"details": Json,"provider": string,"reason": string,"reason_code": string }; Returns: undefined
                           },
"record_rollout_binding":
{ Args: { "missing_at_retell"?: boolean,"phone_number": string,"rollout_id": string,"user_id": string,"weight": number }; Returns: undefined
                           },
"record_rollout_publish":
{ Args: { "problem"?: string,"rollout_id": string,"to_version": number }; Returns: {
              "agent_id": string,
"comparison": Json | null,
"created_at": string,
"finished_at": string | null,
"from_version": number,
"halt_reason": string | null,
"id": string,
"industry": string,
"stage": number,
"stage_bound_at": string | null,
"stage_started_at": string | null,
"stage_weights": (number)[],
"started_by": string | null,
"status": string,
"target_weight": number,
"to_version": number | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "master_rollouts"
        isOneToOne: true
        isSetofReturn: false
      } },
"record_template_sync":
{ Args: { "industry": string,"llm_id"?: string,"llm_version"?: number,"outcome": string,"retell_agent_id": string,"template_hash"?: string,"template_version"?: number }; Returns: undefined
                           },
"referral_stats":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"release_tool_invocation":
{ Args: { "args_hash": string,"call_id": string,"tool_name": string }; Returns: undefined
                           },
"replay_failed_webhook_deliveries":
{ Args: { "created_from": string,"created_to": string,"endpoint": string }; Returns: number
                           },
"replay_webhook_delivery":
{ Args: { "delivery": number }; Returns: {
              "attempts": number,
"claim_expires_at": string | null,
"claim_id": string | null,
"created_at": string,
"dead_reason": string | null,
"delivered_at": string | null,
"event_id": number,
"id": number,
"last_error": string | null,
"last_status_code": number | null,
"message_id": string,
"next_attempt_at": string,
"replay": boolean,
"status": string,
"updated_at": string,
"user_id": string,
"webhook_config_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "webhook_endpoint_deliveries"
        isOneToOne: true
        isSetofReturn: false
      } },
"request_payout":
{ Args: { "destination": string,"method": string }; Returns: {
              "amount_cents": number,
"created_at": string,
"decided_at": string | null,
"decided_by": string | null,
"destination": string,
"id": string,
"method": string,
"paid_at": string | null,
"status": string,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "payout_requests"
        isOneToOne: true
        isSetofReturn: false
      } },
"revoke_other_sessions":
{ Args: Record<PropertyKey, never>; Returns: number
                           },
"revoke_session":
{ Args: { "session_id": string }; Returns: boolean
                           },
"rollout_work":
{ Args: { "batch"?: number }; Returns: Json
                           },
"rotate_webhook_secret":
{ Args: { "endpoint": string }; Returns: string
                           },
"send_test_webhook":
{ Args: { "endpoint": string }; Returns: {
              "delivery_id": number,"message_id": string
            }[]
                           },
"set_customer_sms_consent":
{ Args: { "customer_phone": string,"opted_out": boolean }; Returns: Json
                           },
"stripe_apply_payment_failed":
{ Args: { "event_created": string,"event_id": string,"event_type": string,"invoice": Json }; Returns: Json
                           },
"stripe_apply_subscription":
{ Args: { "event_created": string,"event_id": string,"event_type": string,"request_deployment"?: boolean,"subscription": Json }; Returns: Json
                           },
"stripe_apply_topup":
{ Args: { "checkout_session_id": string,"event_id": string,"event_type": string,"product_id": string,"target_user": string }; Returns: Json
                           },
"stripe_event_processed":
{ Args: { "event_id": string }; Returns: undefined
                           },
"subscription_status":
{ Args: Record<PropertyKey, never>; Returns: {
              "call_minutes_allowance": number,"call_minutes_left": number,"call_minutes_used": number,"cancel_at_period_end": boolean,"cap_reached_at": string,"current_period_end": string,"current_period_start": string,"overage_policy": string,"plan": string,"plan_name": string,"sms_allowance": number,"sms_left": number,"sms_used": number,"status": string,"topup_call_minutes": number,"topup_sms": number
            }[]
                           },
"template_sync_state":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"tracking_session_by_token":
{ Args: { "session_token": string }; Returns: Json
                           },
"twilio_sms_inbound":
{ Args: { "body": string,"from_number": string,"message_sid": string,"to_number": string }; Returns: Json
                           },
"twilio_sms_status":
{ Args: { "error_code": string,"message_sid": string,"message_status": string }; Returns: Json
                           },
"webhook_claim_deliveries":
{ Args: { "max_deliveries": number }; Returns: {
              "attempt": number,"body": string,"claim_id": string,"delivery_id": number,"message_id": string,"replay": boolean,"secrets": (string)[],"url": string
            }[]
                           },
"webhook_next_due_in":
{ Args: Record<PropertyKey, never>; Returns: number
                           },
"webhook_record_attempts":
{ Args: { "claim": string,"results": Json }; Returns: {
              "disabled_reason": string,"owner_email": string,"url": string,"user_id": string,"webhook_config_id": string
            }[]
                           }
          }
          Enums: {
            [_ in never]: never
          }
          CompositeTypes: {
            [_ in never]: never
          }
        }
}

type DatabaseWithoutInternals = Omit<Database, '__InternalSupabase'>

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
  ? (DefaultSchema["Tables"] & DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
      Row: infer R
    }
    ? R
    : never
  : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Insert: infer I
    }
    ? I
    : never
  : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Update: infer U
    }
    ? U
    : never
  : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
  ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
  : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
  ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
  : never

export const Constants = {
  "public": {
          Enums: {
            
          }
        }
} as const
